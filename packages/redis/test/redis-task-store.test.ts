import { Gateway, silentLogger, systemCaller, type GatewayResponse, type TaskView } from '@agent-gateway/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { RedisState, RedisTaskLease, RedisTaskStore, type RedisTaskStoreOptions } from '../src/index.js';
import { cuttableProxy } from './support/cuttable-proxy.js';
import { REDIS, testState } from './support/redis.js';

const system = { actor: systemCaller('test') };
// Polling is an hour away: only the published change can reach the other process this fast.
const PUBSUB_ONLY = { refreshMs: 3_600_000, maxStalenessMs: 7_200_000 };

interface Run {
  readonly by: string;
  readonly at: number;
}

interface Process {
  readonly gateway: Gateway;
  readonly store: RedisTaskStore;
  readonly token: string;
  close(): Promise<void>;
}

/** One gateway process on its own connection: the shared task store and lease, an admin, a `tick` tool recording who ran it. */
async function processOn(state: RedisState, label: string, runs: Run[], options: RedisTaskStoreOptions = PUBSUB_ONLY): Promise<Process> {
  const store = new RedisTaskStore(state, options);
  await store.start().catch(() => undefined);
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 4, r: 1, p: 1 } }, scheduler: { store, lease: new RedisTaskLease(state, label) } });
  await gateway.auth.createUser({ username: 'root', password: 'root-password', role: 'admin' }, system);
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent', tools: ['tick'] }, system);
  gateway.registerTool({ name: 'tick', description: 'records a run', args: z.object({ n: z.number().optional() }), run: () => runs.push({ by: label, at: Date.now() }) });
  const { accessToken } = await gateway.auth.login('root', 'root-password', { address: 'test' });
  await gateway.scheduler.load().catch(() => undefined);
  gateway.scheduler.start();
  return {
    gateway,
    store,
    token: accessToken,
    close: async () => {
      await gateway.close();
      store.close();
    },
  };
}

async function admin(p: Process, method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response: GatewayResponse | undefined = await p.gateway.handle({
    method,
    url,
    headers: { authorization: `Bearer ${p.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? { kind: 'none' } : { kind: 'parsed', value: body },
  });
  if (response === undefined || !('body' in response)) throw new Error(`${method} ${url}: expected a buffered response`);
  const text = typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8');
  return { status: response.status, json: JSON.parse(text) as unknown };
}

const task = (p: Process, name: string): TaskView | undefined => p.gateway.scheduler.list().find((t) => t.name === name);
const armed = (p: Process, name: string): boolean => typeof task(p, name)?.next_run_at === 'string';

async function secondConnection(prefix: string, url?: string): Promise<RedisState> {
  const state = new RedisState({ keyPrefix: prefix, ...(url === undefined ? {} : { url, redis: { retryStrategy: () => 50 } }) });
  await state.connect();
  return state;
}

describe.runIf(REDIS.ok)('RedisTaskStore (real Redis, separate connections)', () => {
  it('a task created on one process is armed on the other within a second, runs once per due time, and follows disable, enable and delete', async () => {
    const stateA = await testState();
    const stateB = await secondConnection(stateA.prefix);
    const runs: Run[] = [];
    const a = await processOn(stateA, 'A', runs);
    const b = await processOn(stateB, 'B', runs);
    try {
      const created = await admin(a, 'POST', '/admin/schedule', { name: 'every-second', tool: 'tick', every: '1s', runAs: 'bot' });
      expect(created.status).toBe(200);
      await vi.waitFor(() => expect(armed(b, 'every-second')).toBe(true), { timeout: 1000, interval: 10 });
      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(3), { timeout: 10_000, interval: 50 });
      // Each due time (a whole second, the same on both) ran once in all, never once per process.
      const seconds = runs.map((run) => Math.floor(run.at / 1000));
      expect(new Set(seconds).size).toBe(seconds.length);

      expect((await admin(b, 'POST', '/admin/schedule/every-second/disable')).status).toBe(200);
      await vi.waitFor(() => expect(task(a, 'every-second')).toMatchObject({ enabled: false, next_run_at: null }), { timeout: 1000, interval: 10 });
      expect((await admin(a, 'POST', '/admin/schedule/every-second/enable')).status).toBe(200);
      await vi.waitFor(() => expect(armed(b, 'every-second') && task(b, 'every-second')?.enabled).toBe(true), { timeout: 1000, interval: 10 });

      expect((await admin(a, 'DELETE', '/admin/schedule/every-second')).status).toBe(200);
      await vi.waitFor(() => expect(task(b, 'every-second')).toBeUndefined(), { timeout: 1000, interval: 10 });
      expect((await admin(b, 'GET', '/admin/schedule')).json).toEqual({ tasks: [] });
      // Two due times later nobody has run it: B's timer went with the task.
      const after = runs.length;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(runs.length).toBeLessThanOrEqual(after + 1);
      const settled = runs.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(runs.length).toBe(settled);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('concurrent changes on two processes are all kept: creates, and a disable after a replacement', async () => {
    const stateA = await testState();
    const stateB = await secondConnection(stateA.prefix);
    const runs: Run[] = [];
    const a = await processOn(stateA, 'A', runs);
    const b = await processOn(stateB, 'B', runs);
    try {
      const names = Array.from({ length: 20 }, (_, i) => `task-${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((name, i) => (i % 2 === 0 ? a : b).gateway.scheduler.upsert({ name, tool: 'tick', every: '1h', runAs: 'bot' })));
      for (const p of [a, b]) {
        await vi.waitFor(() => expect(p.gateway.scheduler.list().map((t) => t.name)).toEqual(names), { timeout: 1000, interval: 10 });
      }
      // A disable writes `enabled` alone, on the task as stored: args just replaced on A stay, whether or not B heard yet.
      await a.gateway.scheduler.upsert({ name: 'task-00', tool: 'tick', args: { n: 7 }, every: '1h', runAs: 'bot' });
      await b.gateway.scheduler.setEnabled('task-00', false);
      const [stored] = (await new RedisTaskStore(stateA).load()).filter((t) => t.name === 'task-00');
      expect(stored).toMatchObject({ args: { n: 7 }, enabled: false });
      for (const p of [a, b]) {
        await vi.waitFor(() => expect(task(p, 'task-00')).toMatchObject({ args: { n: 7 }, enabled: false }), { timeout: 1000, interval: 10 });
      }
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('with Redis cut off, changes answer 503 state_unavailable and the timers keep going; after, the process catches up', async () => {
    const stateA = await testState();
    const proxy = await cuttableProxy();
    const stateB = await secondConnection(stateA.prefix, proxy.url);
    const runs: Run[] = [];
    const a = await processOn(stateA, 'A', runs, {});
    const b = await processOn(stateB, 'B', runs, {});
    try {
      await a.gateway.scheduler.upsert({ name: 'hourly', tool: 'tick', every: '1h', runAs: 'bot' });
      await a.gateway.scheduler.upsert({ name: 'often', tool: 'tick', every: '1s', runAs: 'bot' });
      await vi.waitFor(() => expect(armed(b, 'hourly') && armed(b, 'often')).toBe(true), { timeout: 1000, interval: 10 });

      proxy.cut();
      for (const [method, url] of [['DELETE', '/admin/schedule/hourly'], ['POST', '/admin/schedule/hourly/disable']] as const) {
        const refused = await admin(b, method, url);
        expect(refused.status, `${method} ${url}`).toBe(503);
        expect(refused.json).toMatchObject({ error: { code: 'state_unavailable' } });
      }
      expect(armed(b, 'hourly')).toBe(true);
      // B's timer still fires each second; with no lease to be had it skips the run rather than risk a second one.
      const skipped = task(b, 'often')?.skipped ?? 0;
      await vi.waitFor(() => expect(task(b, 'often')?.skipped).toBeGreaterThanOrEqual(skipped + 2), { timeout: 5000, interval: 50 });
      expect(armed(b, 'often')).toBe(true);

      // Meanwhile A deletes one task and adds another: B reads them once Redis answers again.
      await a.gateway.scheduler.remove('hourly');
      await a.gateway.scheduler.upsert({ name: 'daily', tool: 'tick', every: '1d', runAs: 'bot' });
      proxy.restore();
      await vi.waitFor(() => expect(b.gateway.scheduler.list().map((t) => t.name)).toEqual(['daily', 'often']), { timeout: 5000, interval: 50 });
      expect(armed(b, 'daily')).toBe(true);
      expect((await admin(b, 'POST', '/admin/schedule/daily/disable')).status).toBe(200);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await stateB.close();
      await proxy.close();
      await stateA.cleanup();
    }
  });

  it('40 updates at once over two connections each add their task: the compare-and-set loses none', async () => {
    const stateA = await testState();
    const stateB = await secondConnection(stateA.prefix);
    const stores = [new RedisTaskStore(stateA), new RedisTaskStore(stateB)];
    try {
      const names = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
      await Promise.all(names.map((name, i) => stores[i % 2]!.update((tasks) => [...tasks, { name, tool: 'tick', every: '1h', runAs: 'bot', enabled: true, jitterMs: 0 }])));
      expect((await stores[0]!.load()).map((t) => t.name).sort()).toEqual(names);
      expect(await stateA.client.hget(stateA.key('schedule'), 'revision')).toBe('40');
    } finally {
      for (const store of stores) store.close();
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('an unreadable stored list is refused (503), never read as no tasks and overwritten', async () => {
    const state = await testState();
    const store = new RedisTaskStore(state);
    try {
      await state.client.hset(state.key('schedule'), 'revision', '3', 'tasks', '[{"name":"x"}]');
      await expect(store.load()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
      await expect(store.update((tasks) => [...tasks])).rejects.toMatchObject({ status: 503 });
      expect(await state.client.hget(state.key('schedule'), 'tasks')).toBe('[{"name":"x"}]');
    } finally {
      store.close();
      await state.cleanup();
    }
  });

  it('without Redis the store does not start or load (503)', async () => {
    const down = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    const store = new RedisTaskStore(down);
    await expect(store.start()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    await expect(store.load()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    store.close();
    await down.close();
  });
});
