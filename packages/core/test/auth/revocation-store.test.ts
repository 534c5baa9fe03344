import { describe, expect, it } from 'vitest';
import { MemoryRevocationStore } from '../../src/auth/revocation-store.js';

const T0 = Date.UTC(2026, 0, 1);
const S0 = T0 / 1000;

/** A store on a clock the test moves; its first call sweeps (nothing has been swept yet) and starts the minute. */
function storeAt(clock: { now: number }): MemoryRevocationStore {
  return new MemoryRevocationStore({ now: () => clock.now });
}

describe('MemoryRevocationStore: what is refused', () => {
  it('a revoked token, a revoked family and a consumed refresh token are remembered; others are not', async () => {
    const store = storeAt({ now: T0 });
    await store.revokeToken('t1', S0 + 3600);
    await store.revokeFamily('f1', S0 + 3600);
    expect(await store.isTokenRevoked('t1')).toBe(true);
    expect(await store.isTokenRevoked('t2')).toBe(false);
    expect(await store.isFamilyRevoked('f1')).toBe(true);
    expect(await store.isFamilyRevoked('f2')).toBe(false);
    // A token id and a family name live apart.
    expect(await store.isTokenRevoked('f1')).toBe(false);
    expect(await store.isFamilyRevoked('t1')).toBe(false);
  });

  it('a refresh token is consumed once: the replay resolves false, another token is unaffected', async () => {
    const store = storeAt({ now: T0 });
    expect(await store.consumeRefreshToken('r1', S0 + 3600)).toBe(true);
    expect(await store.consumeRefreshToken('r1', S0 + 3600)).toBe(false);
    expect(await store.consumeRefreshToken('r2', S0 + 3600)).toBe(true);
    // Consuming is not revoking.
    expect(await store.isTokenRevoked('r1')).toBe(false);
  });

  it('generations count up from 0, and revokedAllAt is the whole second of the last revoke-all', async () => {
    const clock = { now: T0 + 1_700 };
    const store = storeAt(clock);
    expect(await store.currentGeneration()).toBe(0);
    expect(await store.revokedAllAt()).toBeUndefined();
    expect(await store.nextGeneration()).toBe(1);
    expect(await store.revokedAllAt()).toBe(S0 + 1);
    clock.now = T0 + 5_999;
    expect(await store.nextGeneration()).toBe(2);
    expect(await store.currentGeneration()).toBe(2);
    expect(await store.revokedAllAt()).toBe(S0 + 5);
  });

  it('without a clock, revokedAllAt follows the real one', async () => {
    const store = new MemoryRevocationStore();
    const before = Math.floor(Date.now() / 1000);
    await store.nextGeneration();
    const at = await store.revokedAllAt();
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});

describe('MemoryRevocationStore: forgetting what has expired', () => {
  it('a token revoked twice keeps the later expiry: a shorter second revoke (by jti alone) does not end the first', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('t1', S0 + 86_400);
    await store.revokeToken('t1', S0 + 120);
    clock.now = T0 + 600_000;
    await store.revokeToken('other', S0 + 10_000); // sweeps
    expect(await store.isTokenRevoked('t1')).toBe(true);
  });

  it('a revocation is kept until its token expires, and dropped by the next sweep after', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('t1', S0 + 120);
    await store.consumeRefreshToken('r1', S0 + 120);
    await store.revokeFamily('f1', S0 + 120);
    // A minute on, still in force: the sweep that runs keeps what has not expired.
    clock.now = T0 + 60_000;
    await store.revokeToken('other', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(true);
    expect(await store.isFamilyRevoked('f1')).toBe(true);
    expect(await store.consumeRefreshToken('r1', S0 + 120)).toBe(false);
    // Exactly at its expiry second an entry is still kept.
    clock.now = T0 + 120_000;
    await store.revokeToken('other', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(true);
    expect(await store.isFamilyRevoked('f1')).toBe(true);
    clock.now = T0 + 180_001;
    await store.revokeToken('other', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(false);
    expect(await store.isFamilyRevoked('f1')).toBe(false);
    expect(await store.isTokenRevoked('other')).toBe(true);
    expect(await store.consumeRefreshToken('r1', S0 + 10_000)).toBe(true);
  });

  it('sweeps at most once a minute, counted from the last sweep', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('t1', S0 + 1);
    clock.now = T0 + 59_999;
    await store.revokeToken('x', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(true);
    clock.now = T0 + 60_000;
    await store.revokeToken('x', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(false);
    // The minute restarts at that sweep.
    await store.revokeToken('t2', S0 + 61);
    clock.now = T0 + 119_999;
    await store.revokeToken('x', S0 + 10_000);
    expect(await store.isTokenRevoked('t2')).toBe(true);
  });

  it('consumeRefreshToken and revokeFamily sweep too', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('t1', S0 + 1);
    clock.now = T0 + 60_000;
    await store.consumeRefreshToken('r', S0 + 10_000);
    expect(await store.isTokenRevoked('t1')).toBe(false);
    await store.revokeToken('t2', S0 + 61);
    clock.now = T0 + 120_000;
    await store.revokeFamily('f', S0 + 10_000);
    expect(await store.isTokenRevoked('t2')).toBe(false);
  });

  it('a family revoked twice is kept until the later of the two expiries, whichever came first', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeFamily('later-first', S0 + 600);
    await store.revokeFamily('later-first', S0 + 100);
    await store.revokeFamily('later-second', S0 + 100);
    await store.revokeFamily('later-second', S0 + 600);
    clock.now = T0 + 300_000;
    await store.revokeToken('x', S0 + 10_000);
    expect(await store.isFamilyRevoked('later-first')).toBe(true);
    expect(await store.isFamilyRevoked('later-second')).toBe(true);
    clock.now = T0 + 700_000;
    await store.revokeToken('x', S0 + 10_000);
    expect(await store.isFamilyRevoked('later-first')).toBe(false);
    expect(await store.isFamilyRevoked('later-second')).toBe(false);
  });
});

describe('MemoryRevocationStore: snapshot and restore', () => {
  it('a snapshot holds what is in force, without what has expired, even within the minute', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('gone', S0 + 1);
    await store.revokeToken('kept', S0 + 600);
    await store.consumeRefreshToken('used', S0 + 600);
    await store.revokeFamily('fam', S0 + 600);
    await store.consumeRefreshToken('used-gone', S0 + 1);
    await store.revokeFamily('fam-gone', S0 + 1);
    clock.now = T0 + 2_000;
    expect(store.snapshot()).toStrictEqual({ revoked: { kept: S0 + 600 }, consumed: { used: S0 + 600 }, families: { fam: S0 + 600 }, generation: 0 });
    clock.now = T0 + 3_500;
    await store.nextGeneration();
    expect(store.snapshot()).toStrictEqual({
      revoked: { kept: S0 + 600 },
      consumed: { used: S0 + 600 },
      families: { fam: S0 + 600 },
      generation: 1,
      generationAt: S0 + 3,
    });
  });

  it('restore adds to what is held and never lowers the generation or the time of the last revoke-all', async () => {
    const clock = { now: T0 };
    const store = storeAt(clock);
    await store.revokeToken('own', S0 + 600);
    store.restore({ revoked: { t: S0 + 600 }, consumed: { r: S0 + 600 }, families: { f: S0 + 600 }, generation: 3, generationAt: S0 - 50 });
    expect(await store.isTokenRevoked('own')).toBe(true);
    expect(await store.isTokenRevoked('t')).toBe(true);
    expect(await store.isFamilyRevoked('f')).toBe(true);
    expect(await store.consumeRefreshToken('r', S0 + 600)).toBe(false);
    expect(await store.currentGeneration()).toBe(3);
    expect(await store.revokedAllAt()).toBe(S0 - 50);
    // An older snapshot does not take the store back.
    store.restore({ revoked: {}, consumed: {}, families: {}, generation: 1, generationAt: S0 - 500 });
    expect(await store.currentGeneration()).toBe(3);
    expect(await store.revokedAllAt()).toBe(S0 - 50);
    store.restore({ revoked: {}, consumed: {}, families: {}, generation: 2 });
    expect(await store.revokedAllAt()).toBe(S0 - 50);
    store.restore({ revoked: {}, consumed: {}, families: {}, generation: 4, generationAt: S0 - 10 });
    expect(await store.currentGeneration()).toBe(4);
    expect(await store.revokedAllAt()).toBe(S0 - 10);
  });

  it('a store that never revoked all takes the time from a snapshot, and one without leaves it unset', async () => {
    const store = storeAt({ now: T0 });
    store.restore({ revoked: {}, consumed: {}, families: {}, generation: 0 });
    expect(await store.revokedAllAt()).toBeUndefined();
    store.restore({ revoked: {}, consumed: {}, families: {}, generation: 0, generationAt: S0 - 5 });
    expect(await store.revokedAllAt()).toBe(S0 - 5);
  });
});
