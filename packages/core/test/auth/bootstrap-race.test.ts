import { describe, expect, it } from 'vitest';
import { Gateway, MemoryUserStore, silentLogger, type UserRecord } from '../../src/index.js';

// Processes starting together on a shared user store: one of them creates the bootstrap admin. One
// that read "no admin" just before another created it used to go on and replace that admin (a new
// hash, a bumped token version) and report it had created it; it must leave it alone.
describe('the bootstrap admin, created by another process between the check and the create', () => {
  it('is left alone, and this process says it did not create it', async () => {
    const store = new MemoryUserStore();
    const gateway = new Gateway({ logger: silentLogger, auth: { userStore: store, passwordHashing: { logN: 10, r: 8, p: 1 } } });
    const theirs: UserRecord = {
      id: 'their-admin',
      username: 'admin',
      role: 'admin',
      passwordHash: '$scrypt$ln=10,r=8,p=1$AAAA$AAAA',
      tokenVersion: 0,
      createdAt: '2026-11-30T00:00:00.000Z',
      updatedAt: '2026-11-30T00:00:00.000Z',
    };
    // The first look finds nobody; by the time this process writes, the other's admin is there.
    const get = store.get.bind(store);
    let looks = 0;
    store.get = async (username: string): Promise<UserRecord | undefined> => {
      looks += 1;
      if (looks > 1) return get(username);
      await store.put(theirs);
      return undefined;
    };
    await expect(gateway.auth.bootstrapAdmin('admin', 'this-process-password')).resolves.toEqual({ created: false });
    expect(await get('admin')).toEqual(theirs);
  });

  it('an admin that exists before the start is left alone too; one that does not is created', async () => {
    const store = new MemoryUserStore();
    const gateway = new Gateway({ logger: silentLogger, auth: { userStore: store, passwordHashing: { logN: 10, r: 8, p: 1 } } });
    await expect(gateway.auth.bootstrapAdmin('admin', 'first')).resolves.toEqual({ created: true });
    const first = await store.get('admin');
    await expect(gateway.auth.bootstrapAdmin('admin', 'second')).resolves.toEqual({ created: false });
    expect(await store.get('admin')).toEqual(first);
  });
});
