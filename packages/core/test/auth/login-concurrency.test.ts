import { afterEach, describe, expect, it, vi } from 'vitest';
import { Gateway, silentLogger, systemCaller, type TokenServiceOptions } from '../../src/index.js';
import { PasswordHasher } from '../../src/auth/password-hashing.js';

const FAST = { logN: 10, r: 8, p: 1 };
const system = { actor: systemCaller('test') };

/** Holds every password check until released, so concurrent logins really overlap. */
function gatePasswordChecks(): { calls: () => number; release: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const real = PasswordHasher.prototype.verify;
  const spy = vi.spyOn(PasswordHasher.prototype, 'verify').mockImplementation(async function (this: PasswordHasher, password, encoded) {
    await gate;
    return real.call(this, password, encoded);
  });
  return { calls: () => spy.mock.calls.length, release: () => open() };
}

/** Settles each promise into a record, so a test can look at outcomes while others are still pending. */
function track<T>(promises: Array<Promise<T>>): Array<{ done: boolean; status?: number; code?: string }> {
  return promises.map((promise) => {
    const state: { done: boolean; status?: number; code?: string } = { done: false };
    promise.then(
      () => Object.assign(state, { done: true, status: 200 }),
      (error: { status?: number; code?: string }) => Object.assign(state, { done: true, status: error.status, code: error.code }),
    );
    return state;
  });
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function gateway(auth: Partial<TokenServiceOptions> = {}): Gateway {
  return new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, ...auth } });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('concurrent logins (issue 14, defect 2)', () => {
  it('50 concurrent wrong guesses for one user: only the free attempts reach the hash, the rest get 429 at once', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'alice', password: 'alice-password', role: 'agent' }, system);
    const checks = gatePasswordChecks();
    const logins = Array.from({ length: 50 }, () => g.auth.login('alice', 'wrong-guess', { address: '203.0.113.9' }));
    const outcomes = track(logins);
    await settle();
    // Default rule for one address guessing one account: 5 free attempts.
    expect(outcomes.filter((o) => o.done && o.status === 429)).toHaveLength(45);
    checks.release();
    await Promise.allSettled(logins);
    expect(checks.calls()).toBe(5);
    expect(outcomes.filter((o) => o.code === 'invalid_credentials')).toHaveLength(5);
    expect(outcomes.filter((o) => o.code === 'too_many_attempts')).toHaveLength(45);
  });

  it('counts the same user under any spelling of the name', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'alice', password: 'alice-password', role: 'agent' }, system);
    const checks = gatePasswordChecks();
    const names = ['alice', 'Alice', 'ALICE', 'aLiCe', 'ａｌｉｃｅ'];
    const logins = Array.from({ length: 20 }, (_, i) => g.auth.login(names[i % names.length] ?? 'alice', 'wrong', { address: '203.0.113.9' }));
    checks.release();
    await Promise.allSettled(logins);
    expect(checks.calls()).toBe(5);
  });

  it('a right password among concurrent wrong ones logs in, and clears the user for later attempts', async () => {
    const g = gateway({ throttle: { perUserAndAddress: { freeAttempts: 3, maxDelayMs: 60_000 } } });
    await g.auth.createUser({ username: 'bob', password: 'bob-password', role: 'agent' }, system);
    const checks = gatePasswordChecks();
    const wrong = Promise.allSettled([g.auth.login('bob', 'x', { address: 'a' }), g.auth.login('bob', 'y', { address: 'a' })]);
    const right = g.auth.login('bob', 'bob-password', { address: 'a' });
    // The three free attempts are all in flight: a fourth waits.
    await expect(g.auth.login('bob', 'bob-password', { address: 'a' })).rejects.toMatchObject({ code: 'too_many_attempts' });
    checks.release();
    await expect(right).resolves.toMatchObject({ tokenType: 'Bearer' });
    await wrong;
    await expect(g.auth.login('bob', 'bob-password', { address: 'a' })).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('beyond the hash queue, a login is refused at once with 503 auth_busy and Retry-After, and is not counted', async () => {
    const g = gateway({
      hashSlots: { maxConcurrent: 2, maxQueued: 3 },
      throttle: { perUserAndAddress: { freeAttempts: 1, maxDelayMs: 60_000 } },
    });
    const checks = gatePasswordChecks();
    // Unknown users from different addresses: the throttle stays out of it, only the queue bounds them.
    const logins = Array.from({ length: 10 }, (_, i) => g.auth.login(`nobody-${i}`, 'pw', { address: `198.51.100.${i}` }));
    const outcomes = track(logins);
    await settle();
    // The first unknown user also makes the decoy hash, so the checks start a little later.
    await vi.waitFor(() => expect(checks.calls()).toBe(2));
    const busy = outcomes.filter((o) => o.done);
    expect(busy).toHaveLength(5);
    expect(busy.every((o) => o.status === 503 && o.code === 'auth_busy')).toBe(true);
    await expect(logins[9]).rejects.toMatchObject({ headers: { 'retry-after': '1' } });
    checks.release();
    await Promise.allSettled(logins);
    // Two ran, three waited and ran after them: every admitted login got a real answer.
    expect(checks.calls()).toBe(5);
    expect(outcomes.filter((o) => o.code === 'invalid_credentials')).toHaveLength(5);
    // A refused-as-busy attempt left no trace: with one free attempt, it still gets a real check.
    await expect(g.auth.login('nobody-9', 'pw', { address: '198.51.100.9' })).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  it('an unknown user costs one hash, with the same parameters as a real one, and queues like one', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'carol', password: 'carol-password', role: 'agent' }, system);
    const verify = vi.spyOn(PasswordHasher.prototype, 'verify');
    await expect(g.auth.login('carol', 'wrong', { address: 'a' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(g.auth.login('mallory', 'wrong', { address: 'a' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(verify).toHaveBeenCalledTimes(2);
    const [realHash, decoyHash] = verify.mock.calls.map((call) => String(call[1]).split('$').slice(0, 3).join('$'));
    expect(decoyHash).toBe(realHash);
  });
});
