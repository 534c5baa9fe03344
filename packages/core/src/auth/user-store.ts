import type { UserRecord } from './user.js';
import { normalizeUsername } from './username.js';

/**
 * Where users live. The embedded defaults keep them in memory or in a JSON file; a shared store
 * (Redis, a database) implements the same four methods. The gateway passes usernames already in
 * `normalizeUsername` form; the defaults normalise again, so a host calling them directly cannot
 * create a second spelling of a name.
 */
export interface UserStore {
  /** The user of this name (given normalised), or undefined. */
  get(username: string): Promise<UserRecord | undefined>;
  /** Every user. */
  list(): Promise<UserRecord[]>;
  /** Creates or replaces the user with this username. */
  put(user: UserRecord): Promise<void>;
  /** `false` when there was no such user. */
  delete(username: string): Promise<boolean>;
  /**
   * Creates the user only if no user has this username, atomically across every process sharing the
   * store; `false` when one exists. Optional: without it a new user is `put`, which one process's
   * serialised changes make safe but two processes could not.
   */
  create?(user: UserRecord): Promise<boolean>;
}

export class MemoryUserStore implements UserStore {
  readonly #users = new Map<string, UserRecord>();

  async get(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(normalizeUsername(username));
  }

  async list(): Promise<UserRecord[]> {
    return [...this.#users.values()];
  }

  async put(user: UserRecord): Promise<void> {
    const username = normalizeUsername(user.username);
    this.#users.set(username, { ...user, username });
  }

  async delete(username: string): Promise<boolean> {
    return this.#users.delete(normalizeUsername(username));
  }
}
