export interface ThrottleRule {
  /** Failures allowed before the next attempt has to wait. */
  readonly freeAttempts: number;
  /** The longest wait this rule imposes: it bounds how long an attacker can lock anyone out. */
  readonly maxDelayMs: number;
}

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
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  blockedUntil: number;
}

const MINUTE = 60_000;

/**
 * Slows down password guessing: after a rule's free attempts, each failure doubles the wait
 * before the next attempt (429 with Retry-After), up to the rule's cap. Checked before the password
 * is, so a throttled guess learns nothing.
 */
export class LoginThrottle {
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
    for (const { key } of this.#rules) {
      const entry = this.#live(key(username, address), now);
      if (entry !== undefined) wait = Math.max(wait, entry.blockedUntil - now);
    }
    return wait;
  }

  recordFailure(username: string, address: string): void {
    const now = this.#now();
    for (const { key, rule } of this.#rules) {
      const name = key(username, address);
      const entry = this.#live(name, now) ?? { failures: 0, lastFailureAt: now, blockedUntil: 0 };
      entry.failures += 1;
      entry.lastFailureAt = now;
      // Once the free failures are used up, every further failure doubles the wait for the next try.
      const over = entry.failures - rule.freeAttempts;
      if (over >= 0) entry.blockedUntil = now + Math.min(rule.maxDelayMs, this.#baseDelayMs * 2 ** Math.min(over, 30));
      this.#entries.delete(name);
      this.#entries.set(name, entry);
    }
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /**
   * A success forgets this user's failures. The address's own count stays: logging in to one's own
   * account must not reset the throttle on guessing someone else's.
   */
  recordSuccess(username: string, address: string): void {
    for (const { key } of this.#rules.slice(1)) this.#entries.delete(key(username, address));
  }

  #live(name: string, now: number): Entry | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    if (now - entry.lastFailureAt > this.#windowMs && now >= entry.blockedUntil) {
      this.#entries.delete(name);
      return undefined;
    }
    return entry;
  }
}
