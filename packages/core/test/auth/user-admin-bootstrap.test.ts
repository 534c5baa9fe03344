import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/auth/user.js';
import { MemoryUserStore } from '../../src/auth/user-store.js';
import { ConflictError } from '../../src/index.js';
import { AT, CreatingUserStore, SYSTEM, userAdmin } from './support/user-admin-fixture.js';

const BOOTSTRAP = { kind: 'system', id: 'bootstrap' } as const;

function adminRecord(username: string): UserRecord {
  const at = new Date(AT).toISOString();
  return { id: '00000000-0000-4000-8000-000000000001', username, role: 'admin', passwordHash: 'hash:theirs', tokenVersion: 0, createdAt: at, updatedAt: at };
}

/** A store whose first `get` answers "nobody": another process creates the admin right after this one looked. */
class LateAdminStore extends MemoryUserStore {
  #gets = 0;
  override async get(username: string): Promise<UserRecord | undefined> {
    this.#gets += 1;
    if (this.#gets === 1) {
      await this.put(adminRecord(username));
      return undefined;
    }
    return super.get(username);
  }
}

describe('UserAdmin.bootstrap', () => {
  it('creates the admin under the normalised name, as the system actor "bootstrap"', async () => {
    const { admin, users, events } = userAdmin();
    await expect(admin.bootstrap('Admin', 'secret')).resolves.toStrictEqual({ created: true });
    expect(await users.get('admin')).toMatchObject({ username: 'admin', role: 'admin', passwordHash: 'hash:secret' });
    expect(events).toStrictEqual([{ created: { by: BOOTSTRAP, username: 'admin', role: 'admin', created: true } }]);
  });

  it('refuses an empty password, and creates nothing', async () => {
    const { admin, users } = userAdmin();
    await expect(admin.bootstrap('admin', '')).rejects.toThrow(new RangeError('the bootstrap admin password must not be empty'));
    expect(await users.list()).toEqual([]);
  });

  it('leaves an admin already there alone, whatever spelling it is asked for by', async () => {
    const { admin, users, events, hashed } = userAdmin();
    await admin.create({ username: 'admin', password: 'first', role: 'admin' }, SYSTEM);
    await expect(admin.bootstrap('ADMIN', 'second')).resolves.toStrictEqual({ created: false });
    // Found before any hashing: a restart does not spend a password hash on an admin that is there.
    expect(hashed).toEqual(['first']);
    expect(await users.get('admin')).toMatchObject({ passwordHash: 'hash:first', tokenVersion: 0 });
    expect(events).toHaveLength(1);
  });

  it('an admin another process created after this one looked is kept, not replaced', async () => {
    const users = new LateAdminStore();
    const { admin, events } = userAdmin(users);
    await expect(admin.bootstrap('admin', 'mine')).resolves.toStrictEqual({ created: false });
    expect(await users.get('admin')).toMatchObject({ passwordHash: 'hash:theirs', tokenVersion: 0 });
    expect(events).toEqual([]);
  });

  it("losing the shared store's atomic create to another process is not an error once that admin is there", async () => {
    class LostRace extends CreatingUserStore {
      override async create(user: UserRecord): Promise<boolean> {
        await this.put(adminRecord(user.username));
        return false;
      }
    }
    const users = new LostRace();
    const { admin } = userAdmin(users);
    await expect(admin.bootstrap('admin', 'mine')).resolves.toStrictEqual({ created: false });
    expect((await users.get('admin'))?.passwordHash).toBe('hash:theirs');
  });

  it('a conflict with no admin to show for it is passed on, as is any other failure', async () => {
    const lost = new CreatingUserStore([false]);
    await expect(userAdmin(lost).admin.bootstrap('admin', 'pw')).rejects.toThrow(ConflictError);
    // The write lands and still reports a failure: the failure is passed on, not taken for a lost race.
    const broken = new MemoryUserStore();
    const put = broken.put.bind(broken);
    broken.put = async (user) => {
      await put(user);
      throw new Error('disk full');
    };
    await expect(userAdmin(broken).admin.bootstrap('admin', 'pw')).rejects.toThrow('disk full');
  });
});
