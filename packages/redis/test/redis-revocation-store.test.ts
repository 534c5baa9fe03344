import { describe, expect, it } from 'vitest';
import { RedisRevocationStore, RedisState } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;

/** Two connections on one prefix stand in for two gateway processes. */
async function twoProcesses(): Promise<{ a: RedisRevocationStore; b: RedisRevocationStore; stateA: Awaited<ReturnType<typeof testState>>; cleanup(): Promise<void> }> {
  const stateA = await testState();
  const stateB = new RedisState({ keyPrefix: stateA.prefix });
  await stateB.connect();
  return {
    a: new RedisRevocationStore(stateA),
    b: new RedisRevocationStore(stateB),
    stateA,
    async cleanup() {
      await stateB.close();
      await stateA.cleanup();
    },
  };
}

describe.runIf(REDIS.ok)('RedisRevocationStore (real Redis, two connections)', () => {
  it('a token revoked on one process is refused on the other at its next check', async () => {
    const { a, b, cleanup } = await twoProcesses();
    try {
      expect(await b.isTokenRevoked('jti-1')).toBe(false);
      await a.revokeToken('jti-1', inAnHour());
      expect(await b.isTokenRevoked('jti-1')).toBe(true);
      expect(await b.isTokenRevoked('jti-2')).toBe(false);
    } finally {
      await cleanup();
    }
  });

  it('entries expire by themselves after the token would have, with a margin for clock skew', async () => {
    const { a, stateA, cleanup } = await twoProcesses();
    try {
      const expiresAt = inAnHour();
      await a.revokeToken('jti-1', expiresAt);
      await a.revokeFamily('fam-1', expiresAt);
      await a.consumeRefreshToken('jti-2', expiresAt);
      for (const key of ['revoked:jti-1', 'family:fam-1', 'consumed:jti-2']) {
        const expireTime = await stateA.client.expiretime(stateA.key(key));
        expect(expireTime, key).toBe(expiresAt + 600);
      }
    } finally {
      await cleanup();
    }
  });

  it('of many concurrent refreshes with one token across both processes, exactly one wins', async () => {
    const { a, b, cleanup } = await twoProcesses();
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).consumeRefreshToken('refresh-1', inAnHour())));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await a.consumeRefreshToken('refresh-1', inAnHour())).toBe(false);
      expect(await b.consumeRefreshToken('refresh-2', inAnHour())).toBe(true);
    } finally {
      await cleanup();
    }
  });

  it('families are shared, and a later revoke with an earlier expiry does not shorten one', async () => {
    const { a, b, stateA, cleanup } = await twoProcesses();
    try {
      expect(await b.isFamilyRevoked('fam')).toBe(false);
      const later = inAnHour() + 3600;
      await a.revokeFamily('fam', later);
      await b.revokeFamily('fam', inAnHour());
      expect(await a.isFamilyRevoked('fam')).toBe(true);
      expect(await stateA.client.expiretime(stateA.key('family', 'fam'))).toBe(later + 600);
    } finally {
      await cleanup();
    }
  });

  it('a token revoked twice keeps the later expiry: revoking by jti alone does not shorten a revocation of the token itself', async () => {
    const { a, b, stateA, cleanup } = await twoProcesses();
    try {
      const later = inAnHour() + 3600;
      await a.revokeToken('jti-long', later);
      await b.revokeToken('jti-long', inAnHour());
      expect(await stateA.client.expiretime(stateA.key('revoked', 'jti-long'))).toBe(later + 600);
      await b.revokeToken('jti-long', later + 60);
      expect(await stateA.client.expiretime(stateA.key('revoked', 'jti-long'))).toBe(later + 660);
    } finally {
      await cleanup();
    }
  });

  it('a revoke-all on one process moves the generation and revokedAllAt for both', async () => {
    const { a, b, stateA, cleanup } = await twoProcesses();
    try {
      expect(await b.currentGeneration()).toBe(0);
      expect(await b.revokedAllAt()).toBeUndefined();
      const [serverSeconds] = await stateA.client.time();
      expect(await a.nextGeneration()).toBe(1);
      expect(await b.nextGeneration()).toBe(2);
      expect(await a.currentGeneration()).toBe(2);
      const at = await a.revokedAllAt();
      expect(at).toBeGreaterThanOrEqual(Number(serverSeconds));
      expect(await b.revokedAllAt()).toBe(at);
    } finally {
      await cleanup();
    }
  });
});

describe('RedisRevocationStore without Redis', () => {
  it('fails closed: every check and change rejects with 503 state_unavailable', async () => {
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    const store = new RedisRevocationStore(state);
    try {
      await state.connect().catch(() => undefined);
      const unavailable = { status: 503, code: 'state_unavailable' };
      await expect(store.isTokenRevoked('jti')).rejects.toMatchObject(unavailable);
      await expect(store.isFamilyRevoked('fam')).rejects.toMatchObject(unavailable);
      await expect(store.revokeToken('jti', inAnHour())).rejects.toMatchObject(unavailable);
      await expect(store.consumeRefreshToken('jti', inAnHour())).rejects.toMatchObject(unavailable);
      await expect(store.revokeFamily('fam', inAnHour())).rejects.toMatchObject(unavailable);
      await expect(store.currentGeneration()).rejects.toMatchObject(unavailable);
      await expect(store.nextGeneration()).rejects.toMatchObject(unavailable);
      await expect(store.revokedAllAt()).rejects.toMatchObject(unavailable);
    } finally {
      await state.close();
    }
  });
});
