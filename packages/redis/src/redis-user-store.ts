import { GatewayError, normalizeUsername, userRecordSchema, type UserRecord, type UserStore } from '@agent-gateway/core';
import type { RedisState } from './redis-state.js';

/**
 * Users in one Redis hash (normalised username -> record), one copy for every process. Nothing is
 * cached: each read goes to Redis, so a user created, changed or deleted on one process is seen by the
 * next request on any other. `create` is `HSETNX` (only one of two processes creating a name at once
 * wins, so every process agrees on the user's instance id), `delete` is `HDEL`. A record that cannot
 * be read is an error (503), never a missing user that a create could silently replace.
 */
export class RedisUserStore implements UserStore {
  readonly #state: RedisState;
  readonly #key: string;

  constructor(state: RedisState) {
    this.#state = state;
    this.#key = state.key('users');
  }

  async get(username: string): Promise<UserRecord | undefined> {
    const name = normalizeUsername(username);
    const raw = await this.#state.run((client) => client.hget(this.#key, name));
    return raw === null ? undefined : this.#parse(name, raw);
  }

  async list(): Promise<UserRecord[]> {
    const stored = await this.#state.run((client) => client.hgetall(this.#key));
    return Object.entries(stored).map(([name, raw]) => this.#parse(name, raw));
  }

  async put(user: UserRecord): Promise<void> {
    const record = this.#normalised(user);
    await this.#state.run((client) => client.hset(this.#key, record.username, JSON.stringify(record)));
  }

  async create(user: UserRecord): Promise<boolean> {
    const record = this.#normalised(user);
    return (await this.#state.run((client) => client.hsetnx(this.#key, record.username, JSON.stringify(record)))) === 1;
  }

  async delete(username: string): Promise<boolean> {
    return (await this.#state.run((client) => client.hdel(this.#key, normalizeUsername(username)))) > 0;
  }

  #normalised(user: UserRecord): UserRecord {
    return userRecordSchema.parse({ ...user, username: normalizeUsername(user.username) });
  }

  #parse(name: string, raw: string): UserRecord {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = userRecordSchema.safeParse(json);
    if (!parsed.success || parsed.data.username !== name) {
      // The name only: a record holds a password hash, which must not reach an error or a log.
      throw new GatewayError('state_unavailable', `the stored record of user ${JSON.stringify(name)} cannot be read; fix or delete it in Redis`);
    }
    return parsed.data;
  }
}
