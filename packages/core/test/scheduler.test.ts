import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { AuditLog, Gateway, silentLogger, systemCaller, type AuditEntry } from '../src/index.js';
import { parseSchedule } from '../src/scheduler/schedule.js';

const system = { actor: systemCaller('test') };

async function gatewayWithUser(options: ConstructorParameters<typeof Gateway>[0] = {}) {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 4, r: 1, p: 1 } }, ...options });
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent', tools: ['count', 'slow', 'flaky'] }, system);
  return gateway;
}

async function metric(gateway: Gateway, name: string, task?: string): Promise<number | undefined> {
  const values = (await gateway.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => task === undefined || v.labels.task === task)?.value;
}

describe('parseSchedule', () => {
  it.each([
    ['30s', { kind: 'interval', ms: 30_000 }],
    ['5m', { kind: 'interval', ms: 300_000 }],
    ['2h', { kind: 'interval', ms: 7_200_000 }],
    [1500, { kind: 'interval', ms: 1500 }],
    ['7d', { kind: 'interval', ms: 604_800_000 }],
    ['365d', { kind: 'interval', ms: 31_536_000_000 }],
    ['*/5 * * * *', { kind: 'cron', expression: '*/5 * * * *' }],
  ] as const)('%j', (every, expected) => {
    expect(parseSchedule(every)).toEqual(expected);
  });

  it.each(['often', '61 * * * *', '* * *', '1e15'])('refuses %j, which is no schedule, with 400', (every) => {
    expect(() => parseSchedule(every)).toThrow(expect.objectContaining({ status: 400 }));
  });

  it.each(['10ms', 0, 999, 1.5, -60_000, 1e15, 31_536_000_001, '366d', '99999999999999999999d', Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses %j, out of one second..one year, with 422',
    (every) => {
      expect(() => parseSchedule(every)).toThrow(expect.objectContaining({ status: 422, code: 'invalid_task', issues: [expect.objectContaining({ path: 'every' })] }));
    },
  );
});

describe('Scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs an interval task through the pipeline as its user, and counts runs in the metrics', async () => {
    const gateway = await gatewayWithUser();
    const callers: string[] = [];
    gateway.registerTool({ name: 'count', description: 'c', args: z.object({ n: z.number() }), run: ({ n }, { caller }) => (callers.push(caller.id), n) });
    await gateway.scheduler.upsert({ name: 'tick', tool: 'count', args: { n: 1 }, every: '30s', runAs: 'bot' });
    gateway.scheduler.start();
    await vi.advanceTimersByTimeAsync(95_000);
    expect(callers).toEqual(['bot', 'bot', 'bot']);
    const task = gateway.scheduler.get('tick');
    expect(task).toMatchObject({ runs: 3, errors: 0, next_run_at: '2026-01-01T00:02:00.000Z' });
    expect(task.history.at(-1)).toMatchObject({ outcome: 'ok', result: 1 });
    expect(await metric(gateway, 'scheduler_runs_total', 'tick')).toBe(3);
    expect(await metric(gateway, 'scheduler_tasks_total')).toBe(1);
    expect((await gateway.metrics.render()).body).toMatch(/^scheduler_run_duration_seconds_count\{task="tick"\} 3$/m);
    await gateway.close();
  });

  it('runs a cron task at its times', async () => {
    const gateway = await gatewayWithUser();
    const at: string[] = [];
    gateway.registerTool({ name: 'count', description: 'c', args: z.object({}), run: () => at.push(new Date().toISOString()) });
    await gateway.scheduler.upsert({ name: 'quarter', tool: 'count', every: '*/15 * * * *', runAs: 'bot' });
    gateway.scheduler.start();
    await vi.advanceTimersByTimeAsync(46 * 60_000);
    expect(at).toEqual(['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:45:00.000Z']);
    await gateway.close();
  });

  it('skips (and counts) a run that is due while the last one is still going', async () => {
    const gateway = await gatewayWithUser();
    let release!: () => void;
    gateway.registerTool({
      name: 'slow',
      description: 's',
      args: z.object({}),
      run: () =>
        new Promise<string>((resolve) => {
          release = () => resolve('done');
        }),
    });
    await gateway.scheduler.upsert({ name: 'slowpoke', tool: 'slow', every: '10s', runAs: 'bot' });
    gateway.scheduler.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gateway.scheduler.get('slowpoke')).toMatchObject({ running: true, runs: 1 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(gateway.scheduler.get('slowpoke')).toMatchObject({ runs: 1, skipped: 2 });
    release();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gateway.scheduler.get('slowpoke')).toMatchObject({ runs: 2, skipped: 2 });
    release();
    await gateway.close();
  });

  it('a failing task counts its errors and keeps its schedule', async () => {
    const gateway = await gatewayWithUser();
    let calls = 0;
    gateway.registerTool({
      name: 'flaky',
      description: 'f',
      args: z.object({}),
      run: () => {
        calls += 1;
        if (calls % 2 === 1) throw new Error('boom');
        return 'ok';
      },
    });
    await gateway.scheduler.upsert({ name: 'flaky', tool: 'flaky', every: '1m', runAs: 'bot' });
    gateway.scheduler.start();
    await vi.advanceTimersByTimeAsync(4 * 60_000);
    const task = gateway.scheduler.get('flaky');
    expect(task).toMatchObject({ runs: 4, errors: 2 });
    expect(task.history.map((run) => run.outcome)).toEqual(['error', 'ok', 'error', 'ok']);
    expect(task.history[0]?.error).toMatchObject({ code: 'tool_failed' });
    expect(await metric(gateway, 'scheduler_errors_total', 'flaky')).toBe(2);
    await gateway.close();
  });

  it('a task whose user lost access is refused by the pipeline and audited', async () => {
    vi.useRealTimers();
    const dir = await mkdtemp(join(tmpdir(), 'scheduler-audit-'));
    try {
      const gateway = await gatewayWithUser({ audit: await AuditLog.open(join(dir, 'audit.log')) });
      gateway.registerTool({ name: 'count', description: 'c', args: z.object({}), run: () => 1 });
      await gateway.scheduler.upsert({ name: 'job', tool: 'count', every: '1h', runAs: 'bot' });
      await expect(gateway.scheduler.runNow('job')).resolves.toMatchObject({ outcome: 'ok' });
      // The admin narrows bot's allow-list: the task can no longer do what bot cannot.
      await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent', tools: ['other.*'] }, system);
      await expect(gateway.scheduler.runNow('job')).resolves.toMatchObject({ outcome: 'error', error: { code: 'tool_not_allowed' } });
      await gateway.auth.deleteUser('bot', system);
      await expect(gateway.scheduler.runNow('job')).resolves.toMatchObject({ outcome: 'error', error: { code: 'invalid_token' } });
      await gateway.close();
      const entries = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
      expect(entries.filter((e) => e.event === 'tool_call').map((e) => [e.actor, e.details.outcome])).toEqual([
        [{ type: 'user', user: 'bot', role: 'agent' }, 'ok'],
        [{ type: 'user', user: 'bot', role: 'agent' }, 'refused'],
      ]);
      expect(entries.filter((e) => e.event === 'scheduled_run').map((e) => e.details.outcome)).toEqual(['ok', 'error', 'error']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps tasks across a restart', async () => {
    vi.useRealTimers();
    const dir = await mkdtemp(join(tmpdir(), 'scheduler-'));
    try {
      const path = join(dir, 'schedule.json');
      const first = await gatewayWithUser({ scheduler: { path } });
      first.registerTool({ name: 'count', description: 'c', args: z.object({ n: z.number().optional() }), run: () => 1 });
      await first.scheduler.upsert({ name: 'nightly', tool: 'count', args: { n: 2 }, every: '0 3 * * *', runAs: 'bot' });
      await first.scheduler.upsert({ name: 'often', tool: 'count', every: 60_000, runAs: 'bot', enabled: false });
      await first.scheduler.remove('often');
      await first.scheduler.upsert({ name: 'often', tool: 'count', every: 60_000, runAs: 'bot', enabled: false });
      await first.close();
      const second = await gatewayWithUser({ scheduler: { path } });
      await second.scheduler.load();
      expect(second.scheduler.list().map((t) => [t.name, t.every, t.enabled])).toEqual([
        ['nightly', '0 3 * * *', true],
        ['often', 60_000, false],
      ]);
      expect(await metric(second, 'scheduler_tasks_total')).toBe(2);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an invalid task with 400, and an unknown one with 404', async () => {
    const gateway = await gatewayWithUser();
    await expect(gateway.scheduler.upsert({ name: 'bad', tool: 'count', every: 'whenever', runAs: 'bot' })).rejects.toMatchObject({ status: 400 });
    await expect(gateway.scheduler.upsert({ name: 'bad name!', tool: 'count', every: '1m', runAs: 'bot' })).rejects.toMatchObject({ status: 400 });
    await expect(gateway.scheduler.runNow('nope')).rejects.toMatchObject({ status: 404 });
    await gateway.close();
  });
});
