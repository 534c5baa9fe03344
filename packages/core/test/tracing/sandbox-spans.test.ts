import { SandboxPool } from '@agent-gateway/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller } from '../../src/index.js';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.js';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(async () => {
  await tracing.stop();
});

describe('a sandboxed tool call', () => {
  it('names its sandbox on the execute_tool span, with the checkout and the run beneath it, the worker continuing the trace', async () => {
    const workerPool = await SandboxPool.start({ size: 1, timeoutMs: 5000 });
    const gateway = new Gateway({ logger: silentLogger, workerPool });
    gateway.registerTool({ name: 'sandbox.echo', description: 'echo in a worker', args: z.object({ text: z.string() }), run: { sandbox: 'pool', action: 'echo' } });
    try {
      expect(await gateway.callTool({ tool: 'sandbox.echo', args: { text: 'x' } }, { caller: systemCaller('t') })).toMatchObject({ result: { text: 'x' } });
    } finally {
      await gateway.close();
    }
    const tool = tracing.one('execute_tool sandbox.echo');
    expect(tool.attributes).toMatchObject({ 'agent_gateway.sandbox.mode': 'pool', 'agent_gateway.outcome': 'ok' });
    expect(tracing.childrenOf(tool).map((span) => span.name).sort()).toEqual(['sandbox checkout', 'sandbox run echo']);
    expect(tracing.one('sandbox run echo').attributes['agent_gateway.sandbox.worker.trace_id']).toBe(tool.spanContext().traceId);
  });
});
