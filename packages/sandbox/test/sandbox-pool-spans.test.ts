import { resolve } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxPool } from '../src/index.js';
import { inMemoryTracing } from './support/in-memory-tracing.js';

// What the pool's own spans say (worker-trace.test.ts covers the trace context the worker continues):
// the checkout span's attributes, which worker ran a call, and a refused checkout's error. An operator
// reads these to tell a call that waited for a worker from one that ran long, and on which worker.

const exporter = inMemoryTracing();

const pools: SandboxPool[] = [];
afterEach(async () => {
  exporter.reset();
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

/** Runs `work` inside a recording span, as a tool call would. */
async function inSpan<T>(work: () => Promise<T>): Promise<T> {
  const span = trace.getTracer('test').startSpan('execute_tool test');
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } finally {
    span.end();
  }
}

const spansNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);

describe('the pool’s spans', () => {
  it('checkout says it is the pool’s; each run names its action and the worker that ran it', async () => {
    const pool = await SandboxPool.start({ size: 2, isolation: 'none', toolsDir: resolve(__dirname, 'fixtures/tools') });
    pools.push(pool);
    await inSpan(() => Promise.all([pool.call('echo', 'a'), pool.call('echo', 'b')]));
    const checkouts = spansNamed('sandbox checkout');
    expect(checkouts).toHaveLength(2);
    for (const checkout of checkouts) {
      expect(checkout.attributes).toEqual({ 'agent_gateway.sandbox.mode': 'pool' });
      expect(checkout.status.code).toBe(SpanStatusCode.UNSET);
    }
    const runs = spansNamed('sandbox run echo');
    expect(runs.map((run) => run.attributes['agent_gateway.sandbox.worker']).sort()).toEqual([0, 1]);
    for (const run of runs) expect(run.attributes).toMatchObject({ 'agent_gateway.sandbox.mode': 'pool', 'agent_gateway.sandbox.action': 'echo' });
  });

  it('a refused checkout ends its span with the refusal’s code, and no run span is made', async () => {
    const pool = await SandboxPool.start({ size: 1, isolation: 'none' });
    pools.push(pool);
    await pool.close();
    await expect(inSpan(() => pool.call('echo', 'late'))).rejects.toMatchObject({ code: 'sandbox_closed' });
    const [checkout] = spansNamed('sandbox checkout');
    expect(checkout?.status.code).toBe(SpanStatusCode.ERROR);
    expect(checkout?.attributes['agent_gateway.error.code']).toBe('sandbox_closed');
    expect(exporter.getFinishedSpans().filter((span) => span.name.startsWith('sandbox run'))).toEqual([]);
  });
});
