import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditLog, Gateway, systemCaller, type Logger } from '../../src/index.js';
import { tracingRegistered } from '../../src/tracing/tracer.js';
import { startInMemoryTracing } from './in-memory-tracing.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('with no OpenTelemetry SDK registered', () => {
  it('the tracing code stands aside: calls work, entries and log lines carry no trace id', async () => {
    expect(tracingRegistered()).toBe(false);
    const dir = await mkdtemp(join(tmpdir(), 'no-sdk-'));
    dirs.push(dir);
    const lines: Array<Record<string, unknown> | undefined> = [];
    const logger: Logger = { info: () => undefined, warn: () => undefined, error: (_message, fields) => lines.push(fields) };
    const gateway = new Gateway({ logger, audit: await AuditLog.open(join(dir, 'audit.log')) });
    gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
    gateway.registerTool({ name: 'broken', description: 'throws', args: z.object({}), run: () => Promise.reject(new Error('no')) });
    expect(await gateway.callTool({ tool: 'echo', args: { text: 'a' } }, { caller: systemCaller('t') })).toMatchObject({ status: 'executed' });
    await expect(gateway.callTool({ tool: 'broken', args: {} }, { caller: systemCaller('t') })).rejects.toThrow();
    await gateway.close();
    const entries = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.filter((entry) => entry.event === 'tool_call')).toHaveLength(2);
    expect(entries.some((entry) => 'trace_id' in entry)).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((fields) => fields !== undefined && 'trace_id' in fields)).toBe(false);
  });

  it('registering an SDK turns it on, and disabling it turns it off again', async () => {
    const tracing = startInMemoryTracing();
    expect(tracingRegistered()).toBe(true);
    await tracing.stop();
    expect(tracingRegistered()).toBe(false);
  });
});
