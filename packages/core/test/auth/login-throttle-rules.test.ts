import { describe, expect, it } from 'vitest';
import { LoginThrottle, type LoginAdmission, type LoginAttempt } from '../../src/auth/login-throttle.js';

// The throttle's rules one by one (issue 24, mutation testing): the defaults, each rule's own key, the
// window, an attempt that settles once, and reservations that neither a cancel, a success, the window
// nor the eviction may drop.
const MINUTE = 60_000;

function admitted(admission: LoginAdmission): LoginAttempt {
  if (!admission.admitted) throw new Error(`refused for ${admission.retryAfterMs} ms`);
  return admission.attempt;
}

describe('LoginThrottle defaults', () => {
  it('one address guessing one account: 5 failures free, then 1 s doubling up to 15 minutes', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 4; i += 1) throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
    // The cap: 2^n seconds would be far past it.
    for (let i = 0; i < 30; i += 1) throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(15 * MINUTE);
  });

  it('one address trying many accounts: 10 failures free, then waits up to 15 minutes', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 9; i += 1) throttle.recordFailure(`user${i}`, '6.6.6.6');
    expect(throttle.retryAfterMs('someone', '6.6.6.6')).toBe(0);
    throttle.recordFailure('user9', '6.6.6.6');
    expect(throttle.retryAfterMs('someone', '6.6.6.6')).toBe(1000);
    for (let i = 0; i < 40; i += 1) throttle.recordFailure(`more${i}`, '6.6.6.6');
    expect(throttle.retryAfterMs('someone', '6.6.6.6')).toBe(15 * MINUTE);
  });

  it('many addresses guessing one account: 50 failures free, then at most 30 s', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 49; i += 1) throttle.recordFailure('admin', `10.0.0.${i}`);
    expect(throttle.retryAfterMs('admin', '192.0.2.1')).toBe(0);
    throttle.recordFailure('admin', '10.0.1.0');
    expect(throttle.retryAfterMs('admin', '192.0.2.1')).toBe(1000);
    for (let i = 0; i < 40; i += 1) throttle.recordFailure('admin', `10.0.2.${i}`);
    expect(throttle.retryAfterMs('admin', '192.0.2.1')).toBe(30_000);
  });

  it('forgets failures after 15 minutes, not before', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now });
    for (let i = 0; i < 4; i += 1) throttle.recordFailure('admin', '1.1.1.1');
    clock.now = 15 * MINUTE; // exactly the window: still remembered
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);

    const later = new LoginThrottle({ now: () => clock.now });
    clock.now = 0;
    for (let i = 0; i < 4; i += 1) later.recordFailure('admin', '1.1.1.1');
    clock.now = 15 * MINUTE + 1;
    later.recordFailure('admin', '1.1.1.1');
    expect(later.retryAfterMs('admin', '1.1.1.1')).toBe(0);
  });
});

describe('LoginThrottle rules', () => {
  const rules = { perAddress: { freeAttempts: 3, maxDelayMs: MINUTE }, perUserAndAddress: { freeAttempts: 2, maxDelayMs: MINUTE }, perUser: { freeAttempts: 3, maxDelayMs: MINUTE } };

  it('each rule counts under its own key: other users on other addresses are not slowed', () => {
    const throttle = new LoginThrottle({ now: () => 0, ...rules });
    // Each pair fails once: no user, address or pair reaches its free count.
    for (let i = 0; i < 20; i += 1) throttle.recordFailure(`user${i}`, `10.0.0.${i}`);
    expect(throttle.retryAfterMs('someone', '192.0.2.1')).toBe(0);
    expect(throttle.retryAfterMs('user0', '192.0.2.1')).toBe(0);
    expect(throttle.retryAfterMs('someone', '10.0.0.0')).toBe(0);
    // A user and an address with the same name are different keys.
    throttle.recordFailure('x', '10.9.9.9');
    throttle.recordFailure('y', 'x');
    throttle.recordFailure('z', 'x');
    expect(throttle.retryAfterMs('x', '192.0.2.2')).toBe(0);
  });

  it('a refusal while free attempts are being checked waits the base delay, not the cap', () => {
    const throttle = new LoginThrottle({ now: () => 0, ...rules });
    admitted(throttle.begin('admin', '1.1.1.1'));
    admitted(throttle.begin('admin', '1.1.1.1'));
    expect(throttle.begin('admin', '1.1.1.1')).toEqual({ admitted: false, retryAfterMs: 1000 });
    // A rule whose cap is under the base delay waits its cap.
    const short = new LoginThrottle({ now: () => 0, perUserAndAddress: { freeAttempts: 1, maxDelayMs: 300 } });
    admitted(short.begin('admin', '1.1.1.1'));
    expect(short.begin('admin', '1.1.1.1')).toEqual({ admitted: false, retryAfterMs: 300 });
  });

  it('an attempt counts once: a second failed(), or a cancel() after it, changes nothing', () => {
    const throttle = new LoginThrottle({ now: () => 0, perUserAndAddress: { freeAttempts: 1, maxDelayMs: MINUTE } });
    const attempt = admitted(throttle.begin('admin', '1.1.1.1'));
    attempt.failed();
    attempt.failed();
    attempt.cancel();
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
  });

  it('a cancelled attempt gives back its place but keeps the failures before it', () => {
    const throttle = new LoginThrottle({ now: () => 0, ...rules });
    throttle.recordFailure('admin', '1.1.1.1');
    admitted(throttle.begin('admin', '1.1.1.1')).cancel();
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
  });

  it('a success while another attempt is in flight forgets the failures and the block, and keeps that attempt counted', () => {
    const throttle = new LoginThrottle({ now: () => 0, perUserAndAddress: { freeAttempts: 5, maxDelayMs: MINUTE } });
    throttle.recordFailure('admin', '1.1.1.1');
    throttle.recordFailure('admin', '1.1.1.1');
    const inFlight = admitted(throttle.begin('admin', '1.1.1.1'));
    admitted(throttle.begin('admin', '1.1.1.1')).succeeded();
    inFlight.failed();
    // 1 failure since the success: three more stay under the 5 free ones.
    for (let i = 0; i < 3; i += 1) throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(0);

    const blocked = new LoginThrottle({ now: () => 0, perUserAndAddress: { freeAttempts: 2, maxDelayMs: MINUTE } });
    const pending = admitted(blocked.begin('admin', '1.1.1.1'));
    blocked.recordFailure('admin', '1.1.1.1');
    blocked.recordFailure('admin', '1.1.1.1');
    expect(blocked.retryAfterMs('admin', '1.1.1.1')).toBe(1000);
    blocked.recordSuccess('admin', '1.1.1.1');
    expect(blocked.retryAfterMs('admin', '1.1.1.1')).toBe(0);
    // `pending` still holds one of the 2 free places: one more gets in, not two.
    admitted(blocked.begin('admin', '1.1.1.1'));
    expect(blocked.begin('admin', '1.1.1.1').admitted).toBe(false);
    pending.cancel();
  });

  it('a cancelled attempt keeps the places of the others still in flight', () => {
    const throttle = new LoginThrottle({ now: () => 0, ...rules });
    const first = admitted(throttle.begin('admin', '1.1.1.1'));
    admitted(throttle.begin('admin', '1.1.1.1'));
    first.cancel();
    admitted(throttle.begin('admin', '1.1.1.1'));
    expect(throttle.begin('admin', '1.1.1.1').admitted).toBe(false);
  });

  it('a success forgets the user without keeping empty keys; the address key stays', () => {
    const throttle = new LoginThrottle({ now: () => 0, ...rules });
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.size).toBe(3);
    throttle.recordSuccess('admin', '1.1.1.1');
    expect(throttle.size).toBe(1);
  });

  it('a block longer than the window lasts its full length', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now, windowMs: 1000, baseDelayMs: 8000, perUserAndAddress: { freeAttempts: 1, maxDelayMs: MINUTE } });
    throttle.recordFailure('admin', '1.1.1.1');
    clock.now = 5000;
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(3000);
    // At its end, long past the window, the failure is forgotten: the next one starts afresh.
    clock.now = 8000;
    throttle.recordFailure('admin', '1.1.1.1');
    expect(throttle.retryAfterMs('admin', '1.1.1.1')).toBe(8000);
  });

  it('an attempt still being checked past the window keeps its place', () => {
    const clock = { now: 0 };
    const throttle = new LoginThrottle({ now: () => clock.now, windowMs: 1000, perUserAndAddress: { freeAttempts: 1, maxDelayMs: MINUTE } });
    admitted(throttle.begin('admin', '1.1.1.1'));
    clock.now = 5000;
    expect(throttle.begin('admin', '1.1.1.1').admitted).toBe(false);
  });

  it('a flood of other addresses evicts neither an attempt in flight nor a recently failing key', () => {
    const throttle = new LoginThrottle({ now: () => 0, maxEntries: 10, perUserAndAddress: { freeAttempts: 1, maxDelayMs: MINUTE } });
    admitted(throttle.begin('admin', '1.1.1.1'));
    for (let i = 0; i < 100; i += 1) throttle.recordFailure(`user${i}`, `10.0.0.${i}`);
    expect(throttle.begin('admin', '1.1.1.1').admitted).toBe(false);
  });

  it('eviction drops the least recently failing key, not one that failed again lately', () => {
    // Two rules' keys per failure (the per-user rule shares the key `u:admin`): pairs fill the map.
    const throttle = new LoginThrottle({ now: () => 0, maxEntries: 5, perAddress: { freeAttempts: 100, maxDelayMs: MINUTE }, perUserAndAddress: { freeAttempts: 2, maxDelayMs: MINUTE }, perUser: { freeAttempts: 100, maxDelayMs: MINUTE } });
    throttle.recordFailure('admin', 'old'); // a:old, ua:admin old, u:admin
    throttle.recordFailure('admin', 'b'); // a:b, ua:admin b
    throttle.recordFailure('admin', 'old'); // moves a:old and ua:admin old to the young end; ua counts 2: blocked
    throttle.recordFailure('admin', 'c'); // a:c, ua:admin c: 7 keys: the two oldest, a:b and ua:admin b, go
    expect(throttle.size).toBe(5);
    expect(throttle.retryAfterMs('admin', 'old')).toBe(1000);
  });
});
