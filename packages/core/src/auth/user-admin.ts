import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, issuesFromZod, NotFoundError } from '../errors/index.js';
import type { GatewayEvents } from '../events/gateway-events.js';
import type { Caller } from '../pipeline/caller.js';
import { SerialQueue } from '../storage/index.js';
import type { Role } from './roles.js';
import { usernameSchema, viewOfUser, type UserRecord, type UserView } from './user.js';
import type { UserStore } from './user-store.js';
import { normalizeUsername } from './username.js';

/** A user to create or replace: `gateway.auth.createUser(user, { actor })`. */
export interface NewUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  /** Tool-name globs; omitted means every tool. */
  readonly tools?: readonly string[] | undefined;
}

/** Who did an admin action, for the events the audit log records. */
export interface Actor {
  readonly actor: Caller;
}

interface UserAdminDeps {
  readonly users: UserStore;
  readonly events: GatewayEvents;
  readonly now: () => number;
  /** Hashes a password (through the gateway's bounded hash slots). */
  readonly hash: (password: string) => Promise<string>;
}

/**
 * Creating, replacing and deleting users. Changes run one at a time, so two concurrent requests
 * cannot both pass a check (name free, another admin left) and then both act on it.
 */
export class UserAdmin {
  readonly #deps: UserAdminDeps;
  readonly #changes = new SerialQueue();

  constructor(deps: UserAdminDeps) {
    this.#deps = deps;
  }

  /** Creates or replaces a user; with `onlyNew`, a user of that name already there is a 409, never replaced. */
  async create(input: NewUser, by: Actor, options: { readonly onlyNew?: boolean } = {}): Promise<{ user: UserView; created: boolean }> {
    const username = normalizeUsername(input.username);
    const valid = usernameSchema.safeParse(username);
    if (!valid.success) {
      const issues = issuesFromZod(valid.error).map((issue) => ({ path: 'username', message: issue.message }));
      throw new BadRequestError(`invalid username: ${issues.map((i) => i.message).join('; ')}`, { issues });
    }
    const passwordHash = await this.#deps.hash(input.password);
    return this.#changes.run(async () => {
      const { users, events, now } = this.#deps;
      const existing = await users.get(username);
      if (existing !== undefined && options.onlyNew === true) throw new ConflictError(`a user named ${JSON.stringify(username)} exists`);
      if (existing !== undefined && input.username !== username) {
        // `Admin` when `admin` exists is more likely a new user meant than the admin's replacement.
        throw new ConflictError(`a user named ${JSON.stringify(username)} exists (usernames ignore case); to replace it, give its name exactly`);
      }
      if (existing?.role === 'admin' && input.role !== 'admin') await this.#assertAnotherAdmin(username);
      const at = new Date(now()).toISOString();
      const record: UserRecord = {
        // A replaced user keeps its instance (its tokens die by `tokenVersion`); a new one gets its own.
        id: existing?.id ?? randomUUID(),
        username,
        role: input.role,
        passwordHash,
        ...(input.tools === undefined ? {} : { tools: [...input.tools] }),
        tokenVersion: existing === undefined ? 0 : existing.tokenVersion + 1,
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      };
      if (existing === undefined && users.create !== undefined) {
        // Another process sharing the store may have created this name since the read above.
        if (!(await users.create(record))) throw new ConflictError(`a user named ${JSON.stringify(username)} was created at the same time by another request; try again`);
      } else {
        await users.put(record);
      }
      events.emitSafely('auth.user_created', { by: by.actor, username, role: record.role, created: existing === undefined });
      return { user: viewOfUser(record), created: existing === undefined };
    });
  }

  /** Deletes a user: their tokens name an instance that no longer exists and are refused from now on. */
  delete(name: string, by: Actor): Promise<{ username: string }> {
    const username = normalizeUsername(name);
    return this.#changes.run(async () => {
      const existing = await this.#deps.users.get(username);
      if (existing === undefined) throw new NotFoundError(`no user named ${JSON.stringify(username)}`);
      if (existing.role === 'admin') await this.#assertAnotherAdmin(username);
      await this.#deps.users.delete(username);
      this.#deps.events.emitSafely('auth.user_deleted', { by: by.actor, username });
      return { username };
    });
  }

  async list(): Promise<UserView[]> {
    return (await this.#deps.users.list()).map(viewOfUser).sort((a, b) => a.username.localeCompare(b.username));
  }

  /** Creates the bootstrap admin when no user of that (normalised) name exists. */
  async bootstrap(name: string, password: string): Promise<{ created: boolean }> {
    if (password === '') throw new RangeError('the bootstrap admin password must not be empty');
    const username = normalizeUsername(name);
    if ((await this.#deps.users.get(username)) !== undefined) return { created: false };
    try {
      // Only new: a process that read "no admin" before another created it must not replace that admin.
      await this.create({ username, password, role: 'admin' }, { actor: { kind: 'system', id: 'bootstrap' } }, { onlyNew: true });
    } catch (error) {
      // Processes starting together on a shared store: one creates the admin, the others find it made.
      if (error instanceof ConflictError && (await this.#deps.users.get(username)) !== undefined) return { created: false };
      throw error;
    }
    return { created: true };
  }

  async #assertAnotherAdmin(username: string): Promise<void> {
    const admins = (await this.#deps.users.list()).filter((u) => u.role === 'admin' && u.username !== username);
    if (admins.length === 0) throw new ConflictError('this is the last admin; create another admin first');
  }
}
