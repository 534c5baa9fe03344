import type { UserRecord } from './user.js';

/**
 * Where users live. The embedded defaults keep them in memory or in a JSON file; a shared store
 * (Redis, a database) implements the same four methods.
 */
export interface UserStore {
  get(username: string): Promise<UserRecord | undefined>;
  list(): Promise<UserRecord[]>;
  /** Creates or replaces the user with this username. */
  put(user: UserRecord): Promise<void>;
  /** `false` when there was no such user. */
  delete(username: string): Promise<boolean>;
}

export class MemoryUserStore implements UserStore {
  readonly #users = new Map<string, UserRecord>();

  async get(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(username);
  }

  async list(): Promise<UserRecord[]> {
    return [...this.#users.values()];
  }

  async put(user: UserRecord): Promise<void> {
    this.#users.set(user.username, user);
  }

  async delete(username: string): Promise<boolean> {
    return this.#users.delete(username);
  }
}
