import { describe, expect, it } from 'vitest';
import { mayCallTools, ROLES, roleSchema } from '../../src/auth/roles.js';
import { storedUserSchema, userRecordSchema, usernameSchema, viewOfUser, type UserRecord } from '../../src/auth/user.js';
import { MemoryUserStore } from '../../src/auth/user-store.js';

const AT = '2026-01-01T00:00:00.000Z';
const RECORD: UserRecord = { id: '00000000-0000-4000-8000-000000000001', username: 'erin', role: 'agent', passwordHash: 'h', tokenVersion: 0, createdAt: AT, updatedAt: AT };

describe('roles', () => {
  it('are admin, approver and agent; approvers may not call tools', () => {
    expect(ROLES).toEqual(['admin', 'approver', 'agent']);
    expect(roleSchema.safeParse('root').success).toBe(false);
    expect(ROLES.map((role) => [role, mayCallTools(role)])).toEqual([
      ['admin', true],
      ['approver', false],
      ['agent', true],
    ]);
  });
});

describe('usernameSchema and the user record', () => {
  it('takes 1 to 64 letters, digits and . _ @ -, nothing else', () => {
    for (const name of ['a', 'erin.ops@example.com', 'A_b-9', 'x'.repeat(64)]) expect(usernameSchema.safeParse(name).success).toBe(true);
    for (const name of ['', 'x'.repeat(65), 'a b', 'a/b', 'ａ', 'a\n', '\nb', 'érin']) expect(usernameSchema.safeParse(name).success).toBe(false);
    expect(usernameSchema.safeParse('a b').error?.issues[0]?.message).toBe('expected 1..64 letters, digits or . _ @ -');
  });

  it('a record needs an instance id, a hash, a whole non-negative token version and ISO times; an older stored user may lack the id', () => {
    expect(userRecordSchema.safeParse(RECORD).success).toBe(true);
    expect(userRecordSchema.safeParse({ ...RECORD, tools: ['fs.*'] }).success).toBe(true);
    for (const bad of [{ id: 'x' }, { passwordHash: '' }, { tokenVersion: -1 }, { tokenVersion: 1.5 }, { createdAt: 'yesterday' }, { updatedAt: 'now' }, { role: 'root' }, { username: 'A B' }]) {
      expect(userRecordSchema.safeParse({ ...RECORD, ...bad }).success).toBe(false);
    }
    const { id: _id, ...withoutId } = RECORD;
    expect(userRecordSchema.safeParse(withoutId).success).toBe(false);
    expect(storedUserSchema.safeParse(withoutId).success).toBe(true);
    expect(storedUserSchema.safeParse({ ...RECORD, id: 'x' }).success).toBe(false);
  });

  it('the view never shows the hash or the token version; no tools shows as null', () => {
    expect(viewOfUser(RECORD)).toStrictEqual({ id: RECORD.id, username: 'erin', role: 'agent', tools: null, created_at: AT, updated_at: AT });
    expect(viewOfUser({ ...RECORD, tools: ['a'] }).tools).toEqual(['a']);
  });
});

describe('MemoryUserStore', () => {
  it('keeps users under the normalised name whatever spelling it is called with', async () => {
    const store = new MemoryUserStore();
    await store.put({ ...RECORD, username: 'ERIN' });
    expect(await store.get('Erin')).toStrictEqual(RECORD);
    await store.put({ ...RECORD, username: 'ｅｒｉｎ', role: 'approver' });
    expect(await store.list()).toStrictEqual([{ ...RECORD, role: 'approver' }]);
    expect(await store.delete('eRIN')).toBe(true);
    expect(await store.delete('erin')).toBe(false);
    expect(await store.get('erin')).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });
});
