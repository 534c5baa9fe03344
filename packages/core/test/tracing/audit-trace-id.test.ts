import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyChain } from '../../src/index.js';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.js';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(async () => {
  await tracing.stop();
});
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const SYSTEM = { type: 'system', name: 'test' } as const;

describe('trace ids in the audit chain', () => {
  it('entries made inside a span carry its trace id, entries outside carry none, and the chain of both verifies; an edited trace id breaks it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'audit-trace-'));
    dirs.push(dir);
    const path = join(dir, 'audit.log');
    const log = await AuditLog.open(path);
    await log.append('before', SYSTEM, { n: 1 });
    const span = trace.getTracer('test').startSpan('work');
    const inside = await context.with(trace.setSpan(context.active(), span), () => log.append('inside', SYSTEM, { n: 2 }));
    span.end();
    await log.append('after', SYSTEM, { n: 3 });
    expect(inside.trace_id).toBe(span.spanContext().traceId);
    expect((await log.verify()).ok).toBe(true);
    await log.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.trace_id)).toEqual([undefined, span.spanContext().traceId, undefined]);
    expect((await verifyChain(path)).ok).toBe(true);
    const edited = lines.map((line) => (line.event === 'inside' ? { ...line, trace_id: 'f'.repeat(32) } : line));
    await writeFile(path, `${edited.map((line) => JSON.stringify(line)).join('\n')}\n`);
    const report = await verifyChain(path);
    expect(report.ok).toBe(false);
    expect(report.first_broken?.seq).toBe(2);
  });
});
