/** One throttling rule: failures allowed for free, then waits that double up to a bound. */
export interface ThrottleRule {
  /** Failures allowed before the next attempt has to wait. */
  readonly freeAttempts: number;
  /** The longest wait this rule imposes: it bounds how long an attacker can lock anyone out. */
  readonly maxDelayMs: number;
}

/** The rules of the login throttle: `auth: { throttle }`. */
export interface LoginThrottleOptions {
  /** One address trying many accounts. Default: 10 free, then up to 15 minutes. */
  readonly perAddress?: ThrottleRule;
  /** One address guessing one account. Default: 5 free, then up to 15 minutes. */
  readonly perUserAndAddress?: ThrottleRule;
  /**
   * Many addresses guessing one account. Default: 50 free, then at most 30 seconds, so a
   * distributed attack slows the real user down but cannot lock them out for long.
   */
  readonly perUser?: ThrottleRule;
  /** The first wait; each further failure doubles it up to the rule's maximum. Default 1 s. */
  readonly baseDelayMs?: number;
  /** Failures older than this are forgotten. Default 15 minutes. */
  readonly windowMs?: number;
  /** Bound on tracked keys, so a flood of addresses cannot exhaust memory. Default 10,000. */
  readonly maxEntries?: number;
  /** The clock, in epoch milliseconds (tests pass a fake one). */
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  /** Attempts admitted whose password check has not finished: they count before they fail. */
  pending: number;
  lastFailureAt: number;
  blockedUntil: number;
}

/** An admitted login attempt. Exactly one of its methods takes effect; later calls do nothing. */
export interface LoginAttempt {
  /** The password was wrong (or the user unknown): counts as a failure. */
  failed(): void;
  /** The password was right: this user's failures are forgotten. */
  succeeded(): void;
  /** No password was checked (the gateway was busy, a store failed): leaves no trace. */
  cancel(): void;
}

/** Whether a login attempt may be checked now, or how long it must wait first. */
export type LoginAdmission = { readonly admitted: true; readonly attempt: LoginAttempt } | { readonly admitted: false; readonly retryAfterMs: number };

/**
 * Where login attempts are counted. The default, `LoginThrottle`, counts per process; a shared store
 * (Redis) counts for every process, so N processes do not give N times the free attempts. `begin`
 * must check and count in one atomic step, and reject (503) when it cannot count: never admit blind.
 */
export interface LoginThrottleStore {
  /** Counts an attempt before its password is checked, and admits it or says how long to wait. */
  begin(username: string, address: string): LoginAdmission | Promise<LoginAdmission>;
}

const MINUTE = 60_000;

/**
 * Slows down password guessing: after a rule's free attempts, each failure doubles the wait
 * before the next attempt (429 with Retry-After), up to the rule's cap. An attempt is counted when
 * it is admitted, before its (slow) password check starts, so concurrent guesses cannot all slip
 * through while the first ones are still being checked: below the free count, admitted attempts and
 * failures together stay under it; past it, one attempt at a time. A throttled guess learns nothing.
 */
export class LoginThrottle implements LoginThrottleStore {
  readonly #entries = new Map<string, Entry>();
  readonly #rules: ReadonlyArray<{ key: (user: string, address: string) => string; rule: ThrottleRule }>;
  readonly #baseDelayMs: number;
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.#rules = [
      { key: (_u, a) => `a:${a}`, rule: options.perAddress ?? { freeAttempts: 10, maxDelayMs: 15 * MINUTE } },
      { key: (u, a) => `ua:${u}\n${a}`, rule: options.perUserAndAddress ?? { freeAttempts: 5, maxDelayMs: 15 * MINUTE } },
      { key: (u) => `u:${u}`, rule: options.perUser ?? { freeAttempts: 50, maxDelayMs: 30_000 } },
    ];
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#windowMs = options.windowMs ?? 15 * MINUTE;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** How many keys are tracked (bounded by `maxEntries`). */
  get size(): number {
    return this.#entries.size;
  }

  /** Milliseconds to wait before this attempt may be made, or 0. */
  retryAfterMs(username: string, address: string): number {
    const now = this.#now();
    let wait = 0;
    for (const { key, rule } of this.#rules) {
      const entry = this.#live(key(username, address), now);
      if (entry !== undefined) wait = Math.max(wait, this.#waitMs(entry, rule, now));
    }
    return wait;
  }

  /**
   * Admits an attempt and counts it at once, or says how long to wait. Check and count happen in
   * one synchronous step, so of many concurrent attempts only as many as the rules allow get in.
   */
  begin(username: string, address: string): LoginAdmission {
    const retryAfterMs = this.retryAfterMs(username, address);
    if (retryAfterMs > 0) return { admitted: false, retryAfterMs };
    const now = this.#now();
    for (const { key } of this.#rules) this.#touch(key(username, address), now).pending += 1;
    this.#evict();
    let settled = false;
    const settle = (outcome: 'failed' | 'succeeded' | 'cancel'): void => {
      if (settled) return;
      settled = true;
      for (const { key } of this.#rules) {
        const name = key(username, address);
        const entry = this.#entries.get(name);
        if (entry === undefined) continue;
        if (entry.pending > 0) entry.pending -= 1;
        // A key that only ever saw this attempt need not be remembered.
        if (entry.pending === 0 && entry.failures === 0) this.#entries.delete(name);
      }
      if (outcome === 'failed') this.recordFailure(username, address);
      if (outcome === 'succeeded') this.recordSuccess(username, address);
    };
    return {
      admitted: true,
      attempt: { failed: () => settle('failed'), succeeded: () => settle('succeeded'), cancel: () => settle('cancel') },
    };
  }

  recordFailure(username: string, address: string): void {
    const now = this.#now();
    for (const { key, rule } of this.#rules) {
      const entry = this.#touch(key(username, address), now);
      entry.failures += 1;
      entry.lastFailureAt = now;
      // Once the free failures are used up, every further failure doubles the wait for the next try.
      const over = entry.failures - rule.freeAttempts;
      if (over >= 0) entry.blockedUntil = now + Math.min(rule.maxDelayMs, this.#baseDelayMs * 2 ** Math.min(over, 30));
    }
    this.#evict();
  }

  /**
   * A success forgets this user's failures. The address's own count stays: logging in to one's own
   * account must not reset the throttle on guessing someone else's.
   */
  recordSuccess(username: string, address: string): void {
    for (const { key } of this.#rules.slice(1)) {
      const name = key(username, address);
      const entry = this.#entries.get(name);
      // Other attempts of this user still in flight keep their reservation.
      if (entry !== undefined && entry.pending > 0) Object.assign(entry, { failures: 0, blockedUntil: 0 });
      else this.#entries.delete(name);
    }
  }

  #waitMs(entry: Entry, rule: ThrottleRule, now: number): number {
    const blocked = entry.blockedUntil - now;
    if (blocked > 0) return blocked;
    if (entry.pending === 0 || entry.failures + entry.pending < rule.freeAttempts) return 0;
    // The free attempts are taken by checks still running: wait for them to finish.
    return Math.min(this.#baseDelayMs, rule.maxDelayMs);
  }

  /** The live entry under `name` (created if need be), moved to the young end of the eviction order. */
  #touch(name: string, now: number): Entry {
    const entry = this.#live(name, now) ?? { failures: 0, pending: 0, lastFailureAt: now, blockedUntil: 0 };
    this.#entries.delete(name);
    this.#entries.set(name, entry);
    return entry;
  }

  /** Drops the oldest keys past `maxEntries`, never one with an attempt in flight (those are few). */
  #evict(): void {
    if (this.#entries.size <= this.#maxEntries) return;
    for (const [name, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries) break;
      if (entry.pending === 0) this.#entries.delete(name);
    }
  }

  #live(name: string, now: number): Entry | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    if (entry.pending === 0 && now - entry.lastFailureAt > this.#windowMs && now >= entry.blockedUntil) {
      this.#entries.delete(name);
      return undefined;
    }
    return entry;
  }
}
