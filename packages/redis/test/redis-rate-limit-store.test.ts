import { RateLimiter, type Caller } from '@agent-gateway/core';
import { describe, expect, it } from 'vitest';
import { RedisRateLimitStore, RedisState } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

const caller: Caller = { kind: 'user', id: 'alice', role: 'agent', tokenId: 'jti-alice' };

/** Two connections on one prefix stand in for two gateway processes. */
async function twoProcesses(): Promise<{ a: RedisRateLimitStore; b: RedisRateLimitStore; stateA: Awaited<ReturnType<typeof testState>>; cleanup(): Promise<void> }> {
  const stateA = await testState();
  const stateB = new RedisState({ keyPrefix: stateA.prefix });
  await stateB.connect();
  return {
    a: new RedisRateLimitStore(stateA),
    b: new RedisRateLimitStore(stateB),
    stateA,
    async cleanup() {
      await stateB.close();
      await stateA.cleanup();
    },
  };
}

describe.runIf(REDIS.ok)('RedisRateLimitStore (real Redis, two connections)', () => {
  it('5/min is 5 for the deployment: of 20 concurrent calls over two processes exactly 5 pass', async () => {
    const { a, b, cleanup } = await twoProcesses();
    try {
      const limiters = [a, b].map((store) => new RateLimiter({ store, perToken: { agent: { perMinute: 5 } } }));
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => limiters[i % 2]!.check(caller, 'echo')));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused).toHaveLength(15);
      for (const { reason } of refused) expect(reason).toMatchObject({ status: 429, code: 'rate_limited', details: { scope: 'token' } });
    } finally {
      await cleanup();
    }
  });

  it('says how long until a token is free: about 60 s / perMinute when just emptied', async () => {
    const { a, b, cleanup } = await twoProcesses();
    try {
      const spec = { perMinute: 5 };
      for (let i = 0; i < 5; i += 1) expect(await (i % 2 === 0 ? a : b).take('k', spec, 0)).toEqual({ allowed: true, retryAfterMs: 0 });
      const refused = await b.take('k', spec, 0);
      expect(refused.allowed).toBe(false);
      // One token refills in 12 s; a little of it may already have passed while the five were taken.
      expect(refused.retryAfterMs).toBeGreaterThan(10_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(12_000);
    } finally {
      await cleanup();
    }
  });

  it('honours burst, and a bucket key vanishes once it would be full again', async () => {
    const { a, stateA, cleanup } = await twoProcesses();
    try {
      const spec = { perMinute: 60, burst: 2 };
      expect((await a.take('k', spec, 0)).allowed).toBe(true);
      expect((await a.take('k', spec, 0)).allowed).toBe(true);
      expect((await a.take('k', spec, 0)).allowed).toBe(false);
      // Two tokens at one per second: full (and forgotten) within about 2 s, plus the 1 s margin.
      const ttl = await stateA.client.pttl(stateA.key('ratelimit', 'k'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(3_000);
    } finally {
      await cleanup();
    }
  });

  it('refills at the configured rate by the server clock, whatever `now` callers pass', async () => {
    const { a, b, stateA, cleanup } = await twoProcesses();
    try {
      const spec = { perMinute: 60, burst: 1 };
      expect((await a.take('k', spec, 0)).allowed).toBe(true);
      // Another process with a clock far ahead gains nothing from it.
      expect((await b.take('k', spec, Date.now() + 3_600_000)).allowed).toBe(false);
      // Move the stored timestamp back two seconds, as if that much server time had passed.
      const key = stateA.key('ratelimit', 'k');
      const at = Number(await stateA.client.hget(key, 'at'));
      await stateA.client.hset(key, 'at', String(at - 2_000));
      expect((await b.take('k', spec, 0)).allowed).toBe(true);
      expect((await a.take('k', spec, 0)).allowed).toBe(false);
    } finally {
      await cleanup();
    }
  });
});

describe('RedisRateLimitStore without Redis', () => {
  it('fails closed: a call whose budget cannot be checked is refused with 503 state_unavailable', async () => {
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    try {
      await state.connect().catch(() => undefined);
      const limiter = new RateLimiter({ store: new RedisRateLimitStore(state) });
      await expect(limiter.check(caller, 'echo')).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    } finally {
      await state.close();
    }
  });
});
