import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { MAX_TIMER_DELAY_MS } from '../../src/index.js';
import { datesIn, request, schedulerGateway } from './scheduler-fixture.js';

// Issue 14.1: waits past Node's timer maximum (2^31-1 ms) fired after 1 ms, in a loop.
const DAY = 86_400_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('long schedules', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a yearly cron fires once, on the first of January, not in a loop', async () => {
    const { gateway, runs, adminToken } = await schedulerGateway();
    const at: string[] = [];
    gateway.events.on('tool.succeeded', () => at.push(new Date().toISOString()));
    const created = await request(gateway, 'POST', '/admin/schedule', adminToken, { name: 'yearly', tool: 'count', args: { n: 1 }, every: '0 0 1 1 *', runAs: 'bot' });
    expect(created.status, created.text).toBe(200);
    gateway.scheduler.start();
    expect(gateway.scheduler.get('yearly').next_run_at).toBe('2027-01-01T00:00:00.000Z');
    await vi.advanceTimersByTimeAsync(364 * DAY);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(at).toEqual(['2027-01-01T00:00:00.000Z']);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(runs).toEqual([1]);
    expect(gateway.scheduler.get('yearly')).toMatchObject({ runs: 1, skipped: 0, next_run_at: '2028-01-01T00:00:00.000Z' });
    await gateway.close();
  });

  it('an interval longer than the timer maximum (30 days) fires every 30 days, through chained waits', async () => {
    expect(30 * DAY).toBeGreaterThan(MAX_TIMER_DELAY_MS);
    const { gateway, runs } = await schedulerGateway();
    await gateway.scheduler.upsert({ name: 'monthly', tool: 'count', args: { n: 7 }, every: '30d', runAs: 'bot' });
    const delays: number[] = [];
    const spy = vi.spyOn(globalThis, 'setTimeout');
    gateway.scheduler.start();
    await vi.advanceTimersByTimeAsync(30 * DAY - 1);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([7]);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(runs).toEqual([7, 7]);
    for (const [, delay] of spy.mock.calls) delays.push(Number(delay));
    spy.mockRestore();
    expect(delays.every((delay) => delay >= 0 && delay <= MAX_TIMER_DELAY_MS)).toBe(true);
    expect(gateway.scheduler.get('monthly').next_run_at).toBe('2026-04-01T00:00:00.000Z');
    await gateway.close();
  });

  it.each([1e15, 2 ** 31 * 1000, 365 * DAY + 1, -60_000, 0, 0.5, '400d', '99999999999999999999d', '0ms'])(
    'every: %j is refused with a clear 422, and nothing is scheduled',
    async (every) => {
      const { gateway, runs, adminToken } = await schedulerGateway();
      gateway.scheduler.start();
      const refused = await request(gateway, 'POST', '/admin/schedule', adminToken, { name: 'huge', tool: 'count', args: { n: 1 }, every, runAs: 'bot' });
      expect(refused.status, refused.text).toBe(422);
      expect(refused.json).toMatchObject({ error: { code: 'invalid_task', message: expect.stringContaining('one year'), issues: [{ path: 'every' }] } });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(runs).toEqual([]);
      expect((await request(gateway, 'GET', '/admin/schedule', adminToken)).json).toEqual({ tasks: [] });
      await gateway.close();
    },
  );

  it('an `every` no JSON number can be (Infinity, from a host-parsed body) is a 400, not a 500', async () => {
    const { gateway, adminToken } = await schedulerGateway();
    const refused = await request(gateway, 'POST', '/admin/schedule', adminToken, { name: 'inf', tool: 'count', args: { n: 1 }, every: Number.POSITIVE_INFINITY, runAs: 'bot' });
    expect(refused.status, refused.text).toBe(400);
    await gateway.close();
  });

  it('GET /admin/schedule answers 200 with only valid ISO dates, whatever the tasks, after a long time', async () => {
    const { gateway, adminToken } = await schedulerGateway();
    const tasks = [
      { name: 'a-year', every: '365d' },
      { name: 'leap-day', every: '0 0 29 2 *' },
      { name: 'yearly', every: '0 0 1 1 *' },
      { name: 'often', every: '1h' },
      { name: 'most-ms', every: 365 * DAY },
      { name: 'off', every: '30d', enabled: false },
    ];
    for (const task of tasks) {
      const created = await request(gateway, 'POST', '/admin/schedule', adminToken, { tool: 'count', args: { n: 1 }, runAs: 'bot', ...task });
      expect(created.status, created.text).toBe(200);
    }
    gateway.scheduler.start();
    for (let year = 0; year < 3; year += 1) {
      await vi.advanceTimersByTimeAsync(366 * DAY);
      const fresh = (await gateway.auth.login('root', 'root-password', { address: 'test' })).accessToken;
      const listed = await request(gateway, 'GET', '/admin/schedule', fresh);
      expect(listed.status, listed.text).toBe(200);
      const dates = datesIn(listed.json);
      expect(dates.length).toBeGreaterThan(tasks.length);
      for (const [path, value] of dates) {
        if (value === null) continue;
        expect(value, path).toMatch(ISO);
        expect(new Date(String(value)).toISOString(), path).toBe(value);
      }
    }
    const byName = new Map(gateway.scheduler.list().map((task) => [task.name, task]));
    // Three years and a few days: each yearly task ran three times, never more.
    expect(byName.get('yearly')?.runs).toBe(3);
    expect(byName.get('a-year')?.runs).toBe(3);
    expect(byName.get('most-ms')?.runs).toBe(3);
    expect(byName.get('leap-day')?.runs).toBe(1);
    expect(byName.get('off')).toMatchObject({ runs: 0, next_run_at: null });
    await gateway.close();
  });

  it('a result JSON cannot hold (a BigInt) is not kept, so the list still answers 200', async () => {
    const { gateway, adminToken } = await schedulerGateway();
    gateway.registerTool({ name: 'odd', description: 'returns a BigInt', args: z.object({}), run: () => ({ big: 10n }) });
    await gateway.scheduler.upsert({ name: 'odd', tool: 'odd', every: '1h', runAs: 'bot' });
    await expect(gateway.scheduler.runNow('odd')).resolves.toMatchObject({ outcome: 'ok', result: '[not kept: the result is not JSON]' });
    const listed = await request(gateway, 'GET', '/admin/schedule', adminToken);
    expect(listed.status, listed.text).toBe(200);
    await gateway.close();
  });
});
