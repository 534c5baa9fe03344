import type { Role } from '../auth/roles.js';
import type { Caller } from '../pipeline/caller.js';
import { RateLimitedError } from './guard-errors.js';

/** One token bucket: `capacity` tokens, refilled continuously at `perMinute`. */
export interface BucketSpec {
  readonly perMinute: number;
  /** Largest burst; default `perMinute`. */
  readonly burst?: number;
}

/**
 * Where buckets live. `take` must be atomic per key (a shared store does it server-side), so that
 * several gateway processes share one limit.
 */
export interface RateLimitStore {
  /** Takes one token; `retryAfterMs` is 0 when allowed, else how long until one is free. */
  take(key: string, spec: BucketSpec, now: number): Promise<{ allowed: boolean; retryAfterMs: number }>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();
  readonly #maxKeys: number;

  constructor(options: { maxKeys?: number } = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  async take(key: string, spec: BucketSpec, now: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const capacity = spec.burst ?? spec.perMinute;
    const perMs = spec.perMinute / 60_000;
    const bucket = this.#buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / perMs) };
  }
}

/** The token buckets on tool calls: `new Gateway({ rateLimits: {...} })`. */
export interface RateLimitOptions {
  /** All tool calls of all users together. Default 6000/min. `perMinute: 0` turns a limit off. */
  readonly global?: BucketSpec;
  /** Per access token, by the caller's role. Defaults: agent 600/min, admin 600/min. */
  readonly perToken?: Partial<Record<Role, BucketSpec>>;
  /** Per access token and tool, for tools that need a tighter limit. */
  readonly perTool?: Readonly<Record<string, BucketSpec>>;
  /** Where the buckets are kept (a store shared by every process); default per process. */
  readonly store?: RateLimitStore;
  /** The clock, in epoch milliseconds (tests pass a fake one). */
  readonly now?: () => number;
}

const DEFAULT_PER_TOKEN: BucketSpec = { perMinute: 600 };

/**
 * Token buckets for `/tools/call`: global, per token (by role) and per token and tool. Only calls of
 * users count; in-process calls by the host are not limited.
 */
export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #store: RateLimitStore;
  readonly #now: () => number;

  constructor(options: RateLimitOptions = {}) {
    this.#options = options;
    this.#store = options.store ?? new MemoryRateLimitStore();
    this.#now = options.now ?? Date.now;
  }

  /** Step: take a token from every bucket that applies, or 429 naming the one that is empty. */
  async check(caller: Caller, tool: string): Promise<void> {
    if (caller.kind !== 'user') return;
    const now = this.#now();
    const who = caller.tokenId ?? `user:${caller.id}`;
    const checks: Array<[string, string, BucketSpec | undefined]> = [
      ['global', 'global', this.#options.global ?? { perMinute: 6000 }],
      ['token', `token:${who}`, caller.role === undefined ? DEFAULT_PER_TOKEN : (this.#options.perToken?.[caller.role] ?? DEFAULT_PER_TOKEN)],
      [`tool ${tool}`, `tool:${tool}:${who}`, this.#options.perTool?.[tool]],
    ];
    for (const [scope, key, spec] of checks) {
      if (spec === undefined || spec.perMinute <= 0) continue;
      const { allowed, retryAfterMs } = await this.#store.take(key, spec, now);
      if (!allowed) throw new RateLimitedError(scope, Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
  }
}
