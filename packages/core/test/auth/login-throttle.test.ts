import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/auth/login-throttle.js';

describe('LoginThrottle', () => {
  const make = (clock: { now: number }) =>
    new LoginThrottle({
      now: () => clock.now,
      perAddress: { freeAttempts: 10, maxDelayMs: 15 * 60_000 },
      perUserAndAddress: { freeAttempts: 3, maxDelayMs: 15 * 60_000 },
      perUser: { freeAttempts: 20, maxDelayMs: 30_000 },
    });

  it('lets the free attempts through, then doubles the wait with each failure', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    for (let i = 0; i < 3; i += 1) {
      expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);
      throttle.recordFailure('admin', '1.1.1.1');
    }
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
    clock.now += 1000;
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(2000);
    clock.now += 2000;
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(4000);
  });

  it('never locks anyone out longer than the cap', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    for (let i = 0; i < 200; i += 1) {
      throttle.recordFailure('admin', '6.6.6.6');
      clock.now += throttle.retryAfterMs('admin', '6.6.6.6');
    }
    expect(throttle.retryAfterMs('admin', '6.6.6.6')).toBeLessThanOrEqual(15 * 60_000);
  });

  it('an attack on the admin from other addresses delays the admin by at most 30 s', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    for (let i = 0; i < 500; i += 1) throttle.recordFailure('admin', `10.0.${Math.floor(i / 250)}.${i % 250}`);
    const wait = throttle.retryAfterMs('admin', '192.0.2.1');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30_000);
  });

  it('one address spraying many usernames is throttled', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    for (let i = 0; i < 10; i += 1) throttle.recordFailure(`user${i}`, '6.6.6.6');
    expect(throttle.retryAfterMs('someone-new', '6.6.6.6')).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('someone-new', '192.0.2.1')).toBe(0);
  });

  it('forgets failures after the window, and a success clears the user, not the address', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    for (let i = 0; i < 3; i += 1) throttle.recordFailure('admin', '1.1.1.1');
    throttle.recordSuccess('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);
    for (let i = 0; i < 10; i += 1) throttle.recordFailure(`u${i}`, '2.2.2.2');
    throttle.recordSuccess('u0', '2.2.2.2');
    expect(throttle.retryAfterMs('u0', '2.2.2.2')).toBeGreaterThan(0);
    clock.now += 16 * 60_000 + 20 * 60_000;
    expect(throttle.retryAfterMs('u0', '2.2.2.2')).toBe(0);
  });

  it('keeps memory bounded under a flood of addresses', () => {
    const throttle = new LoginThrottle({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i += 1) throttle.recordFailure('u', `a${i}`);
    expect(throttle.size).toBeLessThanOrEqual(100);
    // Eviction drops the oldest keys: fresh failures are still counted.
    for (let i = 0; i < 10; i += 1) throttle.recordFailure('v', 'z');
    expect(throttle.retryAfterMs('v', 'z')).toBeGreaterThan(0);
  });

  it('counts an attempt when it is admitted: in-flight attempts use up the free ones', () => {
    const clock = { now: 0 };
    const throttle = make(clock);
    const admitted = Array.from({ length: 10 }, () => throttle.begin('admin', '1.1.1.1')).filter((a) => a.admitted);
    expect(admitted).toHaveLength(3);
    const refused = throttle.begin('admin', '1.1.1.1');
    expect(refused).toMatchObject({ admitted: false });
    expect(refused.admitted ? 0 : refused.retryAfterMs).toBeGreaterThan(0);
    // A cancelled attempt (no password checked) gives its place back; a failed one keeps it.
    for (const a of admitted) if (a.admitted) a.attempt.cancel();
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);
    for (let i = 0; i < 3; i += 1) {
      const a = throttle.begin('admin', '1.1.1.1');
      if (a.admitted) a.attempt.failed();
    }
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
    // Past the free attempts, one attempt at a time once the wait is over.
    clock.now += 1000;
    const next = throttle.begin('admin', '1.1.1.1');
    expect(next.admitted).toBe(true);
    expect(throttle.begin('admin', '1.1.1.1').admitted).toBe(false);
    if (next.admitted) {
      next.attempt.succeeded();
      next.attempt.failed(); // settles once: the second call does nothing
    }
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);
  });

  it('a success does not add to the address count, and finished attempts leave no empty keys behind', () => {
    const throttle = make({ now: 0 });
    for (let i = 0; i < 50; i += 1) {
      const a = throttle.begin(`user${i}`, '2.2.2.2');
      if (a.admitted) a.attempt.succeeded();
    }
    expect(throttle.retryAfterMs('someone', '2.2.2.2')).toBe(0);
    expect(throttle.size).toBe(0);
  });
});
