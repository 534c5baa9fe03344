import type { LoginAdmission } from '@agent-gateway/core';
import { describe, expect, it } from 'vitest';
import { RedisLoginThrottle, RedisState } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

function admitted(admission: LoginAdmission): asserts admission is Extract<LoginAdmission, { admitted: true }> {
  expect(admission.admitted).toBe(true);
}

describe.runIf(REDIS.ok)('RedisLoginThrottle (real Redis, two connections)', () => {
  async function twoProcesses(options: ConstructorParameters<typeof RedisLoginThrottle>[1] = {}) {
    const stateA = await testState();
    const stateB = new RedisState({ keyPrefix: stateA.prefix });
    await stateB.connect();
    return {
      a: new RedisLoginThrottle(stateA, options),
      b: new RedisLoginThrottle(stateB, options),
      stateA,
      async cleanup() {
        await stateB.close();
        await stateA.cleanup();
      },
    };
  }

  it('free failures are counted for the deployment, not per process; then the wait doubles', async () => {
    const { a, b, cleanup } = await twoProcesses({ perUserAndAddress: { freeAttempts: 3, maxDelayMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i += 1) {
        const throttle = i % 2 === 0 ? a : b;
        const admission = await throttle.begin('alice', '10.0.0.1');
        admitted(admission);
        admission.attempt.failed();
        await throttle.idle();
      }
      // The third failure used the free ones up: the next attempt on either process waits about 1 s.
      for (const throttle of [a, b]) {
        const refused = await throttle.begin('alice', '10.0.0.1');
        expect(refused.admitted).toBe(false);
        if (!refused.admitted) {
          expect(refused.retryAfterMs).toBeGreaterThan(0);
          expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
        }
      }
      // Another user from that address is not held back by alice's failures.
      admitted(await b.begin('bob', '10.0.0.1'));
    } finally {
      await cleanup();
    }
  });

  it('of concurrent attempts on both processes, only the free count get in while they are being checked', async () => {
    const { a, b, cleanup } = await twoProcesses({ perUserAndAddress: { freeAttempts: 3, maxDelayMs: 60_000 } });
    try {
      const admissions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).begin('alice', '10.0.0.1')));
      expect(admissions.filter((x) => x.admitted)).toHaveLength(3);
    } finally {
      await cleanup();
    }
  });

  it('a success forgets the user failures, keeps the address count, and a cancel leaves no trace', async () => {
    const { a, b, stateA, cleanup } = await twoProcesses({ perUserAndAddress: { freeAttempts: 2, maxDelayMs: 60_000 } });
    try {
      const first = await a.begin('alice', '10.0.0.1');
      admitted(first);
      first.attempt.failed();
      await a.idle();
      const second = await b.begin('alice', '10.0.0.1');
      admitted(second);
      second.attempt.succeeded();
      await b.idle();
      const address = await stateA.client.hget(stateA.key('{login}', 'a', '10.0.0.1'), 'failures');
      expect(address).toBe('1');
      expect(await stateA.client.exists(stateA.key('{login}', 'ua', 'alice\n10.0.0.1'))).toBe(0);
      const third = await a.begin('carol', '10.0.0.2');
      admitted(third);
      third.attempt.cancel();
      await a.idle();
      expect(await stateA.client.keys(`${stateA.prefix}{login}:*10.0.0.2*`)).toEqual([]);
    } finally {
      await cleanup();
    }
  });

  it('an attempt whose process died mid-check stops holding its place after the pending TTL', async () => {
    const { a, stateA, cleanup } = await twoProcesses({ perUserAndAddress: { freeAttempts: 1, maxDelayMs: 60_000 }, pendingTtlMs: 50 });
    try {
      admitted(await a.begin('alice', '10.0.0.1')); // never settled: its process "died"
      expect((await a.begin('alice', '10.0.0.1')).admitted).toBe(false);
      // Age the reservation past the TTL instead of sleeping.
      const key = stateA.key('{login}', 'ua', 'alice\n10.0.0.1');
      const fields = await stateA.client.hkeys(key);
      for (const field of fields.filter((f) => f.startsWith('p:'))) await stateA.client.hset(key, field, '0');
      admitted(await a.begin('alice', '10.0.0.1'));
    } finally {
      await cleanup();
    }
  });
});

describe('RedisLoginThrottle without Redis', () => {
  it('admits no login uncounted: begin rejects with 503 state_unavailable', async () => {
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    try {
      await state.connect().catch(() => undefined);
      await expect(new RedisLoginThrottle(state).begin('alice', '10.0.0.1')).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    } finally {
      await state.close();
    }
  });
});
