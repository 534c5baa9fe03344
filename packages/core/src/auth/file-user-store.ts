import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { issuesFromZod } from '../errors/index.js';
import { readFileIfExists, SerialQueue, writeFileAtomic } from '../storage/index.js';
import { storedUserSchema, type StoredUser, type UserRecord } from './user.js';
import type { UserStore } from './user-store.js';
import { normalizeUsername } from './username.js';

const fileSchema = z.object({ version: z.literal(1), users: z.array(storedUserSchema) });

/**
 * Users in a JSON file (mode 0600), held in memory and rewritten atomically on every change. A file
 * that exists but cannot be read as a users file stops the gateway at start: it is never overwritten.
 */
export class FileUserStore implements UserStore {
  readonly path: string;
  readonly #users: Map<string, UserRecord>;
  readonly #writes = new SerialQueue();

  private constructor(path: string, users: Map<string, UserRecord>) {
    this.path = path;
    this.#users = users;
  }

  /**
   * Opens the users file (no file yet: no users), bringing an older file up to date; refuses one holding two
   * spellings of one name.
   */
  static async open(path: string): Promise<FileUserStore> {
    const text = await readFileIfExists(path);
    if (text === undefined) return new FileUserStore(path, new Map());
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`users file ${path} is not valid JSON; fix it or move it away`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const detail = issuesFromZod(parsed.error).slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ');
      throw new Error(`users file ${path} is not a valid users file (${detail}); fix it or move it away`);
    }
    const { users, migrated } = migrate(path, parsed.data.users);
    const store = new FileUserStore(path, users);
    // Minted ids must be on disk before any token carries them, or a restart would mint others.
    if (migrated) await store.#write();
    return store;
  }

  async get(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(normalizeUsername(username));
  }

  async list(): Promise<UserRecord[]> {
    return [...this.#users.values()];
  }

  put(user: UserRecord): Promise<void> {
    const username = normalizeUsername(user.username);
    return this.#change(() => this.#users.set(username, { ...user, username }));
  }

  async delete(username: string): Promise<boolean> {
    const key = normalizeUsername(username);
    if (!this.#users.has(key)) return false;
    await this.#change(() => this.#users.delete(key));
    return true;
  }

  /** Applies a change and persists it; if the write fails, memory is rolled back to match the disk. */
  #change(apply: () => void): Promise<void> {
    return this.#writes.run(async () => {
      const before = new Map(this.#users);
      apply();
      try {
        await this.#write();
      } catch (error) {
        this.#users.clear();
        for (const [name, user] of before) this.#users.set(name, user);
        throw error;
      }
    });
  }

  #write(): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify({ version: 1, users: [...this.#users.values()] }, null, 2)}\n`);
  }
}

/**
 * Brings users written by older versions up to date: each gets an instance id, and names take their
 * normal form. Two stored names that are now one (`Admin` and `admin`) stop the start: which of the
 * two passwords and roles should win is the operator's decision, not the loader's.
 */
function migrate(path: string, stored: readonly StoredUser[]): { users: Map<string, UserRecord>; migrated: boolean } {
  const users = new Map<string, UserRecord>();
  let migrated = false;
  for (const user of stored) {
    const username = normalizeUsername(user.username);
    const clash = users.get(username);
    if (clash !== undefined) {
      const names = [...stored].filter((u) => normalizeUsername(u.username) === username).map((u) => JSON.stringify(u.username));
      throw new Error(`users file ${path} holds ${names.join(' and ')}, which are one user now that usernames ignore case; remove all but one and start again`);
    }
    if (user.id === undefined || username !== user.username) migrated = true;
    users.set(username, { ...user, username, id: user.id ?? randomUUID() });
  }
  return { users, migrated };
}
