import { defineTool } from '@agent-gateway/core';
import { z } from 'zod';

/**
 * Runs in the sandbox pool, not in the gateway: the worker (bundled JS, or the Python example with
 * SANDBOX_WORKER_PATH) answers the `echo` action.
 */
export const sandboxEchoTool = defineTool({
  name: 'sandbox.echo',
  description: 'Echoes its args back from a sandbox worker process.',
  args: z.object({ text: z.string().max(64 * 1024) }).strict(),
  run: { sandbox: 'pool', action: 'echo' },
});
