import { z } from 'zod';
import { issuesFromZod } from '../errors/index.js';
import { readFileIfExists, SerialQueue, writeFileAtomic } from '../storage/index.js';
import { userRecordSchema, type UserRecord } from './user.js';
import type { UserStore } from './user-store.js';

const fileSchema = z.object({ version: z.literal(1), users: z.array(userRecordSchema) });

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

  static async open(path: string): Promise<FileUserStore> {
    const text = await readFileIfExists(path);
    const users = new Map<string, UserRecord>();
    if (text !== undefined) {
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
      for (const user of parsed.data.users) users.set(user.username, user);
    }
    return new FileUserStore(path, users);
  }

  async get(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(username);
  }

  async list(): Promise<UserRecord[]> {
    return [...this.#users.values()];
  }

  put(user: UserRecord): Promise<void> {
    return this.#change(() => this.#users.set(user.username, user));
  }

  async delete(username: string): Promise<boolean> {
    if (!this.#users.has(username)) return false;
    await this.#change(() => this.#users.delete(username));
    return true;
  }

  /** Applies a change and persists it; if the write fails, memory is rolled back to match the disk. */
  #change(apply: () => void): Promise<void> {
    return this.#writes.run(async () => {
      const before = new Map(this.#users);
      apply();
      try {
        await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, users: [...this.#users.values()] }, null, 2)}\n`);
      } catch (error) {
        this.#users.clear();
        for (const [name, user] of before) this.#users.set(name, user);
        throw error;
      }
    });
  }
}
