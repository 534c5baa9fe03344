// What tracing costs a tool call when no OpenTelemetry SDK is registered (the default), and what it
// costs with one. In one process, no HTTP, no audit log: `gateway.callTool` alone, so the pipeline's
// own cost is the denominator and the tracing code's share is as visible as it can be.
//   npm run bench:tracing
//
// 1. callTool, no SDK: the shipped pipeline, spans are the API's no-ops.
// 2. The tracing calls one such call makes (the execute_tool wrapper, the outcome note, the audit
//    span check, the trace id read), timed alone against the same calls to functions that do nothing.
// 3. callTool with an SDK registered (sampling everything, in-memory exporter): the cost of recording.
// Each figure is the median of ROUNDS rounds of CALLS calls, after a warm-up round.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startAppendSpan } from '../packages/core/src/audit/append-span.js';
import { activeTraceId, noteCallOutcome, traceToolCall } from '../packages/core/src/tracing/index.js';

const CALLS = Number(process.env.CALLS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

type Figure = { median: number; min: number; max: number };

/** ns per call of `once` over one round of CALLS calls. */
async function round(once: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < CALLS; i += 1) await once();
  return ((performance.now() - started) * 1e6) / CALLS;
}

/**
 * ns per call of each function, median over the rounds, the functions taking turns round by round
 * (after a warm-up round of each), so that a busy spell on a shared machine hits them alike.
 */
async function measure(...functions: Array<() => Promise<unknown>>): Promise<Figure[]> {
  const rounds: number[][] = functions.map(() => []);
  for (let r = -1; r < ROUNDS; r += 1) {
    for (const [index, once] of functions.entries()) {
      const ns = await round(once);
      if (r >= 0) rounds[index]?.push(ns);
    }
  }
  return rounds.map((values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) }));
}

const gateway = new Gateway({ logger: silentLogger, rateLimits: { global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } } });
gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
const caller = systemCaller('bench');
const request = { tool: 'echo', args: { text: 'hello' } };
const callTool = () => gateway.callTool(request, { caller });

// The same calls with every tracing function replaced by one that does nothing: the no-op baseline.
const nothing = (..._args: unknown[]): undefined => undefined;
const passThrough = <T>(_call: unknown, run: () => Promise<T>): Promise<T> => run();
const noopCalls = () =>
  passThrough({ tool: 'echo', callId: 'c', context: undefined, tracing: undefined, shownArgs: () => request.args }, async () => {
    nothing(outcome);
    nothing('tool_call');
    nothing();
    return 1;
  });
const outcome = { outcome: 'ok', status: 200 } as const;
const tracingCalls = () =>
  traceToolCall({ tool: 'echo', callId: 'c', context: undefined, tracing: undefined, shownArgs: () => request.args }, async () => {
    noteCallOutcome(outcome);
    startAppendSpan('tool_call');
    activeTraceId();
    return 1;
  });

const fmt = (m: Figure): string => `${m.median.toFixed(0)} ns (rounds ${m.min.toFixed(0)}..${m.max.toFixed(0)})`;
const rows: Array<[string, string]> = [];

const [noSdk, bareCost, helpers] = (await measure(callTool, noopCalls, tracingCalls)) as [Figure, Figure, Figure];
rows.push(['callTool, no SDK registered', fmt(noSdk)]);
rows.push(['the same calls, tracing functions replaced by no-ops', fmt(bareCost)]);
rows.push(['the tracing calls of one tool call, no SDK', fmt(helpers)]);
const overhead = helpers.median - bareCost.median;
rows.push(['tracing no-op cost per call (difference)', `${overhead.toFixed(0)} ns = ${((overhead / noSdk.median) * 100).toFixed(1)} % of callTool`]);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
const [recorded] = (await measure(async () => {
  await callTool();
  if (exporter.getFinishedSpans().length > 1000) exporter.reset();
})) as [Figure];
rows.push(['callTool, SDK registered and recording (in-memory exporter)', fmt(recorded)]);
await provider.shutdown();
await gateway.close();

process.stdout.write(`tracing overhead, ${CALLS} calls x ${ROUNDS} rounds, Node ${process.version}\n`);
for (const [what, figure] of rows) process.stdout.write(`  ${what.padEnd(62)} ${figure}\n`);
