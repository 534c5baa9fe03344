import { randomUUID } from 'node:crypto';
import { isGatewayError, type LoginAdmission, type LoginThrottleOptions, type LoginThrottleStore, type Logger, type ThrottleRule } from '@agent-gateway/core';
import { LuaScript } from './lua-script.js';
import type { RedisState } from './redis-state.js';

const MINUTE = 60_000;

/**
 * Reads one rule's entry (a hash: failures, last failure, blocked-until, and one `p:<id>` field per
 * attempt admitted and not settled). Pending fields older than the pending TTL belong to a process
 * that died mid-check and are dropped. An entry idle past the window counts as empty.
 */
const READ_ENTRY = `
local function entry(key, now, window, pendingTtl)
  local fields = redis.call('HGETALL', key)
  local e = { failures = 0, last = 0, blocked = 0, pending = 0 }
  for j = 1, #fields, 2 do
    local name, value = fields[j], tonumber(fields[j + 1])
    if name == 'failures' then e.failures = value
    elseif name == 'last' then e.last = value
    elseif name == 'blocked' then e.blocked = value
    elseif string.sub(name, 1, 2) == 'p:' then
      if now - value > pendingTtl then redis.call('HDEL', key, name) else e.pending = e.pending + 1 end
    end
  end
  if e.pending == 0 and now - e.last > window and now >= e.blocked then
    redis.call('HDEL', key, 'failures', 'last', 'blocked')
    e.failures = 0; e.last = 0; e.blocked = 0
  end
  return e
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local base, window, pendingTtl, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local id = 'p:' .. ARGV[5]
`;

/** ARGV[6..8]: free attempts per rule; ARGV[9..11]: max delay per rule. Returns the wait (0: admitted and counted). */
const BEGIN = new LuaScript(`${READ_ENTRY}
local wait = 0
for i = 1, #KEYS do
  local e = entry(KEYS[i], now, window, pendingTtl)
  local free, maxDelay = tonumber(ARGV[5 + i]), tonumber(ARGV[8 + i])
  local w = 0
  if e.blocked - now > 0 then w = e.blocked - now
  elseif e.pending > 0 and e.failures + e.pending >= free then w = math.min(base, maxDelay) end
  if w > wait then wait = w end
end
if wait > 0 then return wait end
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], id, now)
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0`);

/** ARGV[6]: failed | succeeded | cancel; ARGV[7..9] free attempts, ARGV[10..12] max delay per rule. */
const SETTLE = new LuaScript(`${READ_ENTRY}
local outcome = ARGV[6]
for i = 1, #KEYS do redis.call('HDEL', KEYS[i], id) end
for i = 1, #KEYS do
  local e = entry(KEYS[i], now, window, pendingTtl)
  if outcome == 'failed' then
    local failures = e.failures + 1
    local over = failures - tonumber(ARGV[6 + i])
    redis.call('HSET', KEYS[i], 'failures', failures, 'last', now)
    if over >= 0 then
      redis.call('HSET', KEYS[i], 'blocked', now + math.min(tonumber(ARGV[9 + i]), base * 2 ^ math.min(over, 30)))
    end
    redis.call('PEXPIRE', KEYS[i], ttl)
  elseif outcome == 'succeeded' and i > 1 then
    -- The address's own count stays: logging in to one's own account must not reset guessing others'.
    redis.call('HDEL', KEYS[i], 'failures', 'last', 'blocked')
  end
  if redis.call('HLEN', KEYS[i]) == 0 then redis.call('DEL', KEYS[i]) end
end
return 1`);

/**
 * Login throttling counted in Redis for every gateway process, with the same rules and defaults as
 * core's per-process throttle: per address, per user and address, per user; after a rule's free
 * failures each further one doubles the wait up to the rule's cap; an attempt counts from the moment
 * it is admitted. The three entries of one attempt are checked and counted by one script, so they
 * share a `{login}` hash tag (one Cluster slot). Time is the server's. While Redis is down `begin`
 * rejects with 503 `state_unavailable`: no login is admitted uncounted.
 */
export class RedisLoginThrottle implements LoginThrottleStore {
  readonly #state: RedisState;
  readonly #rules: readonly ThrottleRule[];
  readonly #args: ReadonlyArray<number>;
  readonly #logger: Logger | undefined;
  readonly #settling = new Set<Promise<unknown>>();

  constructor(state: RedisState, options: Omit<LoginThrottleOptions, 'maxEntries' | 'now'> & { logger?: Logger; pendingTtlMs?: number } = {}) {
    this.#state = state;
    this.#logger = options.logger;
    this.#rules = [
      options.perAddress ?? { freeAttempts: 10, maxDelayMs: 15 * MINUTE },
      options.perUserAndAddress ?? { freeAttempts: 5, maxDelayMs: 15 * MINUTE },
      options.perUser ?? { freeAttempts: 50, maxDelayMs: 30_000 },
    ];
    const windowMs = options.windowMs ?? 15 * MINUTE;
    // A password check that has not settled in this long belongs to a process that died.
    const pendingTtlMs = options.pendingTtlMs ?? MINUTE;
    const ttlMs = windowMs + Math.max(...this.#rules.map((rule) => rule.maxDelayMs)) + pendingTtlMs;
    this.#args = [options.baseDelayMs ?? 1000, windowMs, pendingTtlMs, ttlMs];
  }

  async begin(username: string, address: string): Promise<LoginAdmission> {
    const keys = this.#keys(username, address);
    const id = randomUUID();
    const limits = [...this.#rules.map((rule) => rule.freeAttempts), ...this.#rules.map((rule) => rule.maxDelayMs)];
    const wait = Number(await this.#state.run((client) => BEGIN.run(client, keys, [...this.#args, id, ...limits])));
    if (wait > 0) return { admitted: false, retryAfterMs: wait };
    let settled = false;
    const settle = (outcome: 'failed' | 'succeeded' | 'cancel'): void => {
      if (settled) return;
      settled = true;
      // The caller has its answer already; a count that cannot be written is logged (the pending
      // reservation then expires by itself after the pending TTL).
      const written = this.#state
        .run((client) => SETTLE.run(client, keys, [...this.#args, id, outcome, ...limits]))
        .catch((error: unknown) => this.#logger?.error('a login attempt could not be counted in Redis', { code: isGatewayError(error) ? error.code : 'error' }))
        .finally(() => this.#settling.delete(written));
      this.#settling.add(written);
    };
    return {
      admitted: true,
      attempt: { failed: () => settle('failed'), succeeded: () => settle('succeeded'), cancel: () => settle('cancel') },
    };
  }

  /** Resolves once every outcome reported so far has been written (or failed to be). */
  async idle(): Promise<void> {
    await Promise.all([...this.#settling]);
  }

  /** A newline cannot occur in a user name or an address: `ua` keys of different pairs never meet. */
  #keys(username: string, address: string): string[] {
    return [
      this.#state.key('{login}', 'a', address),
      this.#state.key('{login}', 'ua', `${username}\n${address}`),
      this.#state.key('{login}', 'u', username),
    ];
  }
}
