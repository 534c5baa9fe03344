import type { RevocationStore } from '@agent-gateway/core';
import { LuaScript } from './lua-script.js';
import type { RedisState } from './redis-state.js';

/**
 * Entries outlive their token by this much: the process checking a token uses its own clock, Redis
 * expires keys by the server's, and a revocation must not vanish while some process still takes the
 * token for unexpired (identity providers' tokens are accepted up to 300 s of skew).
 */
const DEFAULT_SKEW_SECONDS = 600;

/** Raises a revocation's expiry, never lowers it (a later, shorter revoke must not end an earlier one). */
const RAISE_EXPIRY = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local expiresAt = tonumber(ARGV[1])
if expiresAt > current then redis.call('SET', KEYS[1], ARGV[1], 'EXAT', expiresAt + tonumber(ARGV[2])) end
return 1`);

/** A revoke-all: the next generation and when it happened, by the server's clock (one for every process). */
const NEXT_GENERATION = new LuaScript(`
local generation = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('HSET', KEYS[1], 'at', redis.call('TIME')[1])
return generation`);

/**
 * Revocations in Redis, shared by every gateway process: each check reads Redis (no cache), so a
 * revoke on one process is refused by all of them at their next check. Entries expire by themselves
 * once their token would have; the generation never does. A Redis failure rejects with 503
 * `state_unavailable`, so a token whose revocation cannot be checked is refused.
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #state: RedisState;
  readonly #skewSeconds: number;

  constructor(state: RedisState, options: { skewSeconds?: number } = {}) {
    this.#state = state;
    this.#skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  }

  async revokeToken(jti: string, expiresAt: number): Promise<void> {
    const at = Math.ceil(expiresAt);
    await this.#state.run((client) => RAISE_EXPIRY.run(client, [this.#state.key('revoked', jti)], [at, this.#skewSeconds]));
  }

  isTokenRevoked(jti: string): Promise<boolean> {
    return this.#exists(this.#state.key('revoked', jti));
  }

  async consumeRefreshToken(jti: string, expiresAt: number): Promise<boolean> {
    // SET NX: of two processes refreshing with one token at once, exactly one sets it.
    const set = await this.#state.run((client) => client.set(this.#state.key('consumed', jti), '1', 'EXAT', this.#until(expiresAt), 'NX'));
    return set === 'OK';
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    const at = Math.ceil(expiresAt);
    await this.#state.run((client) => RAISE_EXPIRY.run(client, [this.#state.key('family', family)], [at, this.#skewSeconds]));
  }

  isFamilyRevoked(family: string): Promise<boolean> {
    return this.#exists(this.#state.key('family', family));
  }

  async currentGeneration(): Promise<number> {
    const value = await this.#state.run((client) => client.hget(this.#generationKey(), 'n'));
    return value === null ? 0 : Number(value);
  }

  async nextGeneration(): Promise<number> {
    return Number(await this.#state.run((client) => NEXT_GENERATION.run(client, [this.#generationKey()], [])));
  }

  async revokedAllAt(): Promise<number | undefined> {
    const value = await this.#state.run((client) => client.hget(this.#generationKey(), 'at'));
    return value === null ? undefined : Number(value);
  }

  async #exists(key: string): Promise<boolean> {
    return (await this.#state.run((client) => client.exists(key))) === 1;
  }

  #generationKey(): string {
    return this.#state.key('revocations', 'generation');
  }

  /** Epoch seconds for EXAT: whole, and past the token's own expiry by the skew margin. */
  #until(expiresAt: number): number {
    return Math.ceil(expiresAt) + this.#skewSeconds;
  }
}
