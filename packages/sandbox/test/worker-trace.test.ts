import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxPoolOptions } from '../src/index.js';
import { inMemoryTracing } from './support/in-memory-tracing.js';

const exporter = inMemoryTracing();

const pools: SandboxPool[] = [];
afterEach(async () => {
  exporter.reset();
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function startPool(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
  const pool = await SandboxPool.start({ size: 1, timeoutMs: 5000, toolsDir: resolve(__dirname, 'fixtures/tools'), ...options });
  pools.push(pool);
  return pool;
}

/** Runs `work` inside a recording span, as a tool call would, and returns its result with that span. */
async function inSpan<T>(work: () => Promise<T>): Promise<{ result: T; parent: ReadableSpan }> {
  const span = trace.getTracer('test').startSpan('execute_tool test');
  const result = await context.with(trace.setSpan(context.active(), span), work);
  span.end();
  const parent = exporter.getFinishedSpans().find((s) => s.name === 'execute_tool test') as ReadableSpan;
  return { result, parent };
}

function named(name: string): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span "${name}" among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return span;
}

const PYTHON_WORKER = resolve(__dirname, '../../../examples/python-worker/worker.py');
function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const python = hasPython();
if (!python) console.warn('skipping the Python worker trace test: python3 is not installed');

describe('trace context through the worker protocol', () => {
  it.each([
    ['the bundled worker', {}],
    ...(python ? [['the Python worker', { workerPath: PYTHON_WORKER }] as const] : []),
  ] as Array<[string, SandboxPoolOptions]>)('%s continues the trace: checkout and run spans under the tool call, and the worker echoes the trace id back', async (_name, options) => {
    const pool = await startPool(options);
    const { result, parent } = await inSpan(() => pool.call('echo', { text: 'hi' }));
    expect(result).toEqual({ text: 'hi' });
    const checkout = named('sandbox checkout');
    const run = named('sandbox run echo');
    expect(checkout.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(run.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(run.attributes).toMatchObject({ 'agent_gateway.sandbox.mode': 'pool', 'agent_gateway.sandbox.action': 'echo' });
    // The worker's span: the same trace, a span id of its own.
    expect(run.attributes['agent_gateway.sandbox.worker.trace_id']).toBe(parent.spanContext().traceId);
    expect(run.attributes['agent_gateway.sandbox.worker.span_id']).toMatch(/^[0-9a-f]{16}$/);
    expect(run.attributes['agent_gateway.sandbox.worker.span_id']).not.toBe(run.spanContext().spanId);
  });

  it('hands a tool the trace context the worker continued, as its second argument', async () => {
    const pool = await startPool();
    const { result, parent } = await inSpan(() => pool.call('run', { tool: 'trace-seen', args: {} }));
    const seen = (result as { trace: { traceparent: string } | null }).trace;
    expect(seen?.traceparent).toMatch(new RegExp(`^00-${parent.spanContext().traceId}-[0-9a-f]{16}-01$`));
    expect(named('sandbox run run').attributes['agent_gateway.sandbox.worker.span_id']).toBe(seen?.traceparent.split('-')[2]);
  });

  it('outside any trace: no spans, and no trace in the request', async () => {
    const pool = await startPool();
    expect(await pool.call('run', { tool: 'trace-seen', args: {} })).toEqual({ trace: null });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('a failed run: error status and the sandbox error code', async () => {
    const pool = await startPool();
    await inSpan(() => pool.call('no-such-action', {}).catch(() => undefined));
    const run = named('sandbox run no-such-action');
    expect(run.status.code).toBe(2);
    expect(run.attributes).toMatchObject({ 'agent_gateway.error.code': 'worker_error' });
  });
});

describe('trace context into a Docker container', () => {
  it('goes in as TRACEPARENT/TRACESTATE in its environment, and not at all outside a trace', async () => {
    const { DockerRunner } = await import('../src/index.js');
    const runner = new DockerRunner();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(runner.containerSpec('img', ['run'], { traceparent, tracestate: 'a=1' }).Env).toEqual(expect.arrayContaining([`TRACEPARENT=${traceparent}`, 'TRACESTATE=a=1']));
    expect(runner.containerSpec('img', ['run']).Env.some((entry) => entry.startsWith('TRACEPARENT='))).toBe(false);
  });
});
