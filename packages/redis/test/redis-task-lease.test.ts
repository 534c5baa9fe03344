import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { RedisState, RedisTaskLease } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

const system = { actor: systemCaller('test') };

/** One gateway process: its own connection, the shared lease, a `tick` tool recording which process ran it. */
async function processOn(state: RedisState, label: string, runs: Array<{ by: string; at: number }>): Promise<Gateway> {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 4, r: 1, p: 1 } }, scheduler: { lease: new RedisTaskLease(state, label) } });
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent', tools: ['tick'] }, system);
  gateway.registerTool({ name: 'tick', description: 'records a run', args: z.object({}), run: () => runs.push({ by: label, at: Date.now() }) });
  await gateway.scheduler.upsert({ name: 'every-second', tool: 'tick', every: '1s', runAs: 'bot' });
  return gateway;
}

describe.runIf(REDIS.ok)('RedisTaskLease (real Redis, separate connections)', () => {
  it('a task due every second runs once per due time across two schedulers, and goes on when one stops', async () => {
    const stateA = await testState();
    const stateB = new RedisState({ keyPrefix: stateA.prefix });
    await stateB.connect();
    const runs: Array<{ by: string; at: number }> = [];
    const a = await processOn(stateA, 'A', runs);
    const b = await processOn(stateB, 'B', runs);
    try {
      a.scheduler.start();
      b.scheduler.start();
      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 50 });
      // Each due time (a whole second, the same for both) ran once in all: never once per scheduler.
      const seconds = runs.map((run) => Math.floor(run.at / 1000));
      expect(new Set(seconds).size).toBe(seconds.length);
      const leases = await stateA.client.keys(`${stateA.prefix}schedule-lease:every-second:*`);
      expect(leases.length).toBeGreaterThanOrEqual(runs.length);

      await a.close();
      const before = runs.length;
      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(before + 2), { timeout: 10_000, interval: 50 });
      expect(runs.slice(before + 1).every((run) => run.by === 'B')).toBe(true);
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('grants one holder per key until it expires', async () => {
    const stateA = await testState();
    const stateB = new RedisState({ keyPrefix: stateA.prefix });
    await stateB.connect();
    try {
      const [a, b] = [new RedisTaskLease(stateA), new RedisTaskLease(stateB)];
      const grants = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).acquire('t', 1000, 100)));
      expect(grants.filter(Boolean)).toHaveLength(1);
      expect(await a.acquire('t', 2000, 100)).toBe(true);
      // The holder died: once its lease expires the key can be taken again.
      await vi.waitFor(async () => expect(await b.acquire('t', 1000, 100)).toBe(true), { timeout: 2000, interval: 50 });
    } finally {
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('without Redis no lease is granted (503) and the scheduled run is skipped, not run', async () => {
    const down = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    await expect(new RedisTaskLease(down).acquire('t', 1000, 1000)).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    const runs: Array<{ by: string; at: number }> = [];
    const gateway = await processOn(down, 'down', runs);
    try {
      gateway.scheduler.start();
      await vi.waitFor(() => expect(gateway.scheduler.get('every-second').skipped).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 50 });
      expect(runs).toHaveLength(0);
    } finally {
      await gateway.close();
      await down.close();
    }
  });
});
