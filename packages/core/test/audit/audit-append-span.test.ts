import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, AuditUnavailableError, type AuditEntry } from '../../src/index.js';
import { startInMemoryTracing, type InMemoryTracing } from '../tracing/in-memory-tracing.js';

// The writer's tracing, in the audit group so that its mutants meet these tests (issue 24): an entry
// appended inside a trace carries its id in the chain, and its `audit append` span lasts until the
// entry is durable or refused. The gateway-wide span tests live in test/tracing, outside this group.

const SYSTEM = { type: 'system', name: 'test' } as const;

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(async () => {
  await tracing.stop();
});

let dir: string;
let path: string;
beforeEach(async () => {
  tracing.exporter.reset();
  dir = await mkdtemp(join(tmpdir(), 'audit-span-'));
  path = join(dir, 'audit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `work` inside a recording span named `work`, and ends that span after. */
async function inSpan<T>(work: () => Promise<T>): Promise<{ result: T; traceId: string; spanId: string }> {
  const span = trace.getTracer('test').startSpan('work');
  try {
    const result = await context.with(trace.setSpan(context.active(), span), work);
    return { result, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
  } finally {
    span.end();
  }
}

async function fileLines(): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('an append inside a trace', () => {
  it('writes the trace id into the entry and its line, and an append outside any span has no trace_id at all', async () => {
    const log = await AuditLog.open(path);
    const outside = await log.append('outside', SYSTEM, {});
    const { result: inside, traceId } = await inSpan(() => log.append('inside', SYSTEM, {}));
    await log.close();
    expect(inside.trace_id).toBe(traceId);
    expect(outside).not.toHaveProperty('trace_id');
    const lines = await fileLines();
    expect(lines[1]?.trace_id).toBe(traceId);
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(Object.keys(lines[0] ?? {})).toEqual(['actor', 'details', 'event', 'prev', 'seq', 'ts', 'hash']);
  });

  it('has an `audit append` span under the caller\'s, ended with the entry\'s seq once it is durable, marked where its fsync started', async () => {
    const log = await AuditLog.open(path);
    await log.append('first', SYSTEM, {});
    const { result: entry, spanId } = await inSpan(() => log.append('traced', SYSTEM, {}));
    await log.close();
    const append = tracing.one('audit append');
    expect(append.parentSpanContext?.spanId).toBe(spanId);
    expect(append.attributes).toEqual({ 'agent_gateway.audit.event': 'traced', 'agent_gateway.audit.seq': entry.seq });
    expect(entry.seq).toBe(2);
    expect(append.events.map((event) => [event.name, event.attributes])).toEqual([['audit.fsync_started', { batch_size: 1 }]]);
    expect(append.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('each span of a group-committed batch says how many entries shared its fsync', async () => {
    const log = await AuditLog.open(path);
    // Both appends are queued before the first write starts, so they share one batch.
    const { result } = await inSpan(() => Promise.all([log.append('a', SYSTEM, {}), log.append('b', SYSTEM, {})]));
    await log.close();
    expect(log.batches).toBe(1);
    expect(result.map((entry: AuditEntry) => entry.seq)).toEqual([1, 2]);
    const spans = tracing.spans().filter((span) => span.name === 'audit append');
    expect(spans.map((span) => span.events.map((event) => event.attributes))).toEqual([[{ batch_size: 2 }], [{ batch_size: 2 }]]);
  });

  it('a refused append ends its span with an error status, and the caller still gets the refusal', async () => {
    await symlink('/dev/full', path);
    const log = await AuditLog.open(path);
    const { result: refused } = await inSpan(() => log.append('lost', SYSTEM, {}).catch((error: unknown) => error));
    await log.close();
    expect(refused).toBeInstanceOf(AuditUnavailableError);
    const append = tracing.one('audit append');
    expect(append.status).toEqual({ code: SpanStatusCode.ERROR, message: 'audit_unavailable' });
    expect(append.attributes).toEqual({ 'agent_gateway.audit.event': 'lost' });
  });

  it('outside any span no `audit append` span is started', async () => {
    const log = await AuditLog.open(path);
    await log.append('plain', SYSTEM, {});
    await log.close();
    expect(tracing.spans()).toEqual([]);
  });
});
