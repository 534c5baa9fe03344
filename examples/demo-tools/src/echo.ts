import { defineTool } from '@agent-gateway/core';
import { z } from 'zod';

/** Returns its text: the smallest tool, for smoke tests and benchmarks. */
export const echoTool = defineTool({
  name: 'echo',
  description: 'Returns the text it is given.',
  args: z.object({ text: z.string().max(64 * 1024) }).strict(),
  run: ({ text }) => ({ text }),
});
