import type { BucketSpec, RateLimitStore } from '@agent-gateway/core';
import { LuaScript } from './lua-script.js';
import type { RedisState } from './redis-state.js';

/**
 * One token bucket, read, refilled, taken from and written back in one script, so concurrent takes
 * from any number of processes never overspend it. Time is the server's (TIME): processes whose
 * clocks disagree still refill one bucket at one rate. The key expires once the bucket would be full
 * again, which is what a missing key means, so idle buckets cost nothing.
 * Returns { allowed (1|0), retryAfterMs }.
 */
const TAKE = new LuaScript(`
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1])
local at = tonumber(stored[2])
if tokens == nil or at == nil then
  tokens = capacity
elseif now > at then
  tokens = math.min(capacity, tokens + (now - at) * perMs)
end
local allowed = 0
local retryAfterMs = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retryAfterMs = math.ceil((1 - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / perMs) + 1000)
return { allowed, retryAfterMs }`);

/**
 * Rate-limit buckets in Redis: one budget for the whole deployment, however many processes share
 * it. The `now` the limiter passes is not used (the server's clock is, see above). A Redis failure
 * rejects with 503 `state_unavailable`: a call whose budget cannot be checked is refused.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #state: RedisState;

  constructor(state: RedisState) {
    this.#state = state;
  }

  async take(key: string, spec: BucketSpec, _now: number): Promise<{ allowed: boolean; retryAfterMs: number }> {
    const capacity = spec.burst ?? spec.perMinute;
    const perMs = spec.perMinute / 60_000;
    const reply = await this.#state.run((client) => TAKE.run(client, [this.#state.key('ratelimit', key)], [capacity, perMs]));
    const [allowed, retryAfterMs] = Array.isArray(reply) ? reply.map(Number) : [];
    return { allowed: allowed === 1, retryAfterMs: retryAfterMs ?? 0 };
  }
}
