import { describe, expect, it } from 'vitest';
import { BadRequestError, ConflictError, NotFoundError } from '../../src/index.js';
import { AT, CreatingUserStore, SYSTEM, userAdmin } from './support/user-admin-fixture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('UserAdmin.create', () => {
  it('stores a new user under the normalised name, with a fresh instance, version 0 and the hash of the password', async () => {
    const { admin, users, events } = userAdmin();
    const result = await admin.create({ username: 'Ｅrin', password: 'pw', role: 'agent', tools: ['fs.*'] }, SYSTEM);
    const stored = await users.get('erin');
    expect(stored).toStrictEqual({
      id: expect.stringMatching(UUID),
      username: 'erin',
      role: 'agent',
      passwordHash: 'hash:pw',
      tools: ['fs.*'],
      tokenVersion: 0,
      createdAt: new Date(AT).toISOString(),
      updatedAt: new Date(AT).toISOString(),
    });
    expect(result).toStrictEqual({
      created: true,
      user: { id: stored?.id, username: 'erin', role: 'agent', tools: ['fs.*'], created_at: new Date(AT).toISOString(), updated_at: new Date(AT).toISOString() },
    });
    expect(events).toStrictEqual([{ created: { by: SYSTEM.actor, username: 'erin', role: 'agent', created: true } }]);
  });

  it('a user without tools has no tools key (every tool), and each new user its own instance', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'a', password: 'pw', role: 'agent' }, SYSTEM);
    await admin.create({ username: 'b', password: 'pw', role: 'agent' }, SYSTEM);
    const a = await users.get('a');
    expect(a !== undefined && 'tools' in a).toBe(false);
    expect(a?.id).not.toBe((await users.get('b'))?.id);
  });

  it('the stored tools are a copy: changing the array passed in later changes nothing', async () => {
    const { admin, users } = userAdmin();
    const tools = ['fs.read'];
    await admin.create({ username: 'a', password: 'pw', role: 'agent', tools }, SYSTEM);
    tools.push('shell.*');
    expect((await users.get('a'))?.tools).toEqual(['fs.read']);
  });

  it('replacing a user keeps its instance and creation time, raises its token version and takes the new role and hash', async () => {
    const { admin, users, events, clock } = userAdmin();
    await admin.create({ username: 'admin', password: 'pw', role: 'admin' }, SYSTEM);
    await admin.create({ username: 'erin', password: 'old', role: 'agent', tools: ['x'] }, SYSTEM);
    const before = await users.get('erin');
    clock.now = AT + 60_000;
    const result = await admin.create({ username: 'erin', password: 'new', role: 'approver' }, SYSTEM);
    const after = await users.get('erin');
    expect(after).toStrictEqual({
      id: before?.id,
      username: 'erin',
      role: 'approver',
      passwordHash: 'hash:new',
      tokenVersion: 1,
      createdAt: new Date(AT).toISOString(),
      updatedAt: new Date(AT + 60_000).toISOString(),
    });
    expect(result.created).toBe(false);
    await admin.create({ username: 'erin', password: 'newer', role: 'approver' }, SYSTEM);
    expect((await users.get('erin'))?.tokenVersion).toBe(2);
    expect(events.at(-1)).toStrictEqual({ created: { by: SYSTEM.actor, username: 'erin', role: 'approver', created: false } });
  });

  it('refuses an invalid username with a 400 naming every issue, and stores nothing', async () => {
    const { admin, users } = userAdmin();
    const error = await admin.create({ username: '', password: 'pw', role: 'agent' }, SYSTEM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    const issues = (error as BadRequestError).issues ?? [];
    expect(issues.length).toBe(2);
    expect(issues.every((issue) => issue.path === 'username')).toBe(true);
    expect((error as BadRequestError).message).toBe(`invalid username: ${issues.map((i) => i.message).join('; ')}`);
    expect((error as BadRequestError).message).toContain('expected 1..64 letters, digits or . _ @ -');
    await expect(admin.create({ username: 'a b', password: 'pw', role: 'agent' }, SYSTEM)).rejects.toThrow(BadRequestError);
    expect(await users.list()).toEqual([]);
  });

  it('with onlyNew, an existing user is a 409 and is left as it was', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'erin', password: 'old', role: 'agent' }, SYSTEM);
    await expect(admin.create({ username: 'erin', password: 'new', role: 'admin' }, SYSTEM, { onlyNew: true })).rejects.toThrow(
      new ConflictError('a user named "erin" exists'),
    );
    expect(await users.get('erin')).toMatchObject({ passwordHash: 'hash:old', role: 'agent', tokenVersion: 0 });
    await expect(admin.create({ username: 'fred', password: 'pw', role: 'agent' }, SYSTEM, { onlyNew: true })).resolves.toMatchObject({ created: true });
    await expect(admin.create({ username: 'erin', password: 'new', role: 'agent' }, SYSTEM, { onlyNew: false })).resolves.toMatchObject({ created: false });
  });

  it('a name that only differs in case from an existing one is a 409, not a replacement; a new name in capitals is created', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'admin', password: 'pw', role: 'admin' }, SYSTEM);
    await expect(admin.create({ username: 'Admin', password: 'evil', role: 'admin' }, SYSTEM)).rejects.toThrow(
      'a user named "admin" exists (usernames ignore case); to replace it, give its name exactly',
    );
    expect((await users.get('admin'))?.passwordHash).toBe('hash:pw');
    await expect(admin.create({ username: 'Bob', password: 'pw', role: 'agent' }, SYSTEM)).resolves.toMatchObject({ created: true, user: { username: 'bob' } });
  });

  it('the last admin cannot be demoted; with another admin it can, and an admin stays one freely', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'root', password: 'pw', role: 'admin' }, SYSTEM);
    await admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM);
    for (const role of ['agent', 'approver'] as const) {
      await expect(admin.create({ username: 'root', password: 'pw2', role }, SYSTEM)).rejects.toThrow(
        new ConflictError('this is the last admin; create another admin first'),
      );
    }
    expect((await users.get('root'))?.role).toBe('admin');
    await expect(admin.create({ username: 'root', password: 'pw2', role: 'admin' }, SYSTEM)).resolves.toMatchObject({ created: false });
    await admin.create({ username: 'second', password: 'pw', role: 'admin' }, SYSTEM);
    await expect(admin.create({ username: 'root', password: 'pw3', role: 'agent' }, SYSTEM)).resolves.toMatchObject({ user: { role: 'agent' } });
    // Now `second` is the last one.
    await expect(admin.create({ username: 'second', password: 'pw', role: 'agent' }, SYSTEM)).rejects.toThrow(ConflictError);
  });

  it('changing a non-admin needs no admin anywhere', async () => {
    const { admin } = userAdmin();
    await admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM);
    await expect(admin.create({ username: 'erin', password: 'pw', role: 'approver' }, SYSTEM)).resolves.toMatchObject({ user: { role: 'approver' } });
  });

  it('two concurrent demotions of the only two admins: one of them is refused', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'a', password: 'pw', role: 'admin' }, SYSTEM);
    await admin.create({ username: 'b', password: 'pw', role: 'admin' }, SYSTEM);
    const results = await Promise.allSettled([
      admin.create({ username: 'a', password: 'pw', role: 'agent' }, SYSTEM),
      admin.create({ username: 'b', password: 'pw', role: 'agent' }, SYSTEM),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await users.list()).filter((u) => u.role === 'admin')).toHaveLength(1);
  });
});

describe('UserAdmin.create on a store with an atomic create', () => {
  it('a new user goes through create; a replacement through put', async () => {
    const users = new CreatingUserStore();
    const { admin } = userAdmin(users);
    await admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM);
    expect(users.created.map((u) => u.username)).toEqual(['erin']);
    await expect(admin.create({ username: 'erin', password: 'pw2', role: 'agent' }, SYSTEM)).resolves.toMatchObject({ created: false });
    expect(users.created).toHaveLength(1);
    expect((await users.get('erin'))?.passwordHash).toBe('hash:pw2');
  });

  it('a name another process created meanwhile is a 409 and no event', async () => {
    const users = new CreatingUserStore([false]);
    const { admin, events } = userAdmin(users);
    await expect(admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM)).rejects.toThrow(
      new ConflictError('a user named "erin" was created at the same time by another request; try again'),
    );
    expect(events).toEqual([]);
    expect(await users.get('erin')).toBeUndefined();
  });
});

describe('UserAdmin.delete and list', () => {
  it('deletes by any spelling of the name, says whom, and records who did it', async () => {
    const { admin, users, events } = userAdmin();
    await admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM);
    const boss = { actor: { kind: 'user', id: 'boss', role: 'admin', tokenId: 'j' } } as const;
    await expect(admin.delete('ERIN', boss)).resolves.toStrictEqual({ username: 'erin' });
    expect(await users.get('erin')).toBeUndefined();
    expect(events.at(-1)).toStrictEqual({ deleted: { by: boss.actor, username: 'erin' } });
  });

  it('an unknown user is a 404', async () => {
    const { admin, events } = userAdmin();
    await expect(admin.delete('Nobody', SYSTEM)).rejects.toThrow(new NotFoundError('no user named "nobody"'));
    expect(events).toEqual([]);
  });

  it('the last admin cannot be deleted; a non-admin can be even when no admin exists', async () => {
    const { admin, users, events } = userAdmin();
    await admin.create({ username: 'erin', password: 'pw', role: 'agent' }, SYSTEM);
    await expect(admin.delete('erin', SYSTEM)).resolves.toEqual({ username: 'erin' });
    await admin.create({ username: 'root', password: 'pw', role: 'admin' }, SYSTEM);
    await admin.create({ username: 'fred', password: 'pw', role: 'agent' }, SYSTEM);
    const before = events.length;
    await expect(admin.delete('root', SYSTEM)).rejects.toThrow(new ConflictError('this is the last admin; create another admin first'));
    expect(await users.get('root')).toBeDefined();
    expect(events).toHaveLength(before);
    await admin.create({ username: 'root2', password: 'pw', role: 'admin' }, SYSTEM);
    await expect(admin.delete('root', SYSTEM)).resolves.toEqual({ username: 'root' });
    await expect(admin.delete('root2', SYSTEM)).rejects.toThrow(ConflictError);
  });

  it('two concurrent deletes of the only two admins: one of them is refused', async () => {
    const { admin, users } = userAdmin();
    await admin.create({ username: 'a', password: 'pw', role: 'admin' }, SYSTEM);
    await admin.create({ username: 'b', password: 'pw', role: 'admin' }, SYSTEM);
    const results = await Promise.allSettled([admin.delete('a', SYSTEM), admin.delete('b', SYSTEM)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await users.list()).toHaveLength(1);
  });

  it('lists every user as a view (no hash), by name', async () => {
    const { admin } = userAdmin();
    for (const username of ['carol', 'alice', 'bob']) await admin.create({ username, password: 'pw', role: 'agent' }, SYSTEM);
    const list = await admin.list();
    expect(list.map((u) => u.username)).toEqual(['alice', 'bob', 'carol']);
    expect(list[0]).toStrictEqual({ id: expect.stringMatching(UUID), username: 'alice', role: 'agent', tools: null, created_at: new Date(AT).toISOString(), updated_at: new Date(AT).toISOString() });
  });
});
