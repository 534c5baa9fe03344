import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRevocationStore } from '../../src/auth/file-revocation-store.js';
import { FileUserStore } from '../../src/auth/file-user-store.js';
import type { UserRecord } from '../../src/auth/user.js';

// The file-backed user and revocation stores on their own (issue 24, mutation testing): what a restart
// reads back after each kind of change, that a bad file stops the start without being overwritten, and
// that a failed write leaves memory as the disk has it.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-stores-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const at = '2026-01-01T00:00:00.000Z';
const user = (username: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id: randomUUID(),
  username,
  role: 'agent',
  passwordHash: '$scrypt$ln=10,r=8,p=1$AAAA$AAAA',
  tokenVersion: 0,
  createdAt: at,
  updatedAt: at,
  ...extra,
});

describe('FileUserStore', () => {
  it('no file: no users, and nothing written until a change', async () => {
    const path = join(dir, 'users.json');
    const store = await FileUserStore.open(path);
    expect(await store.list()).toEqual([]);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a user put under any spelling is kept, found and reloaded under its normal form', async () => {
    const path = join(dir, 'users.json');
    const store = await FileUserStore.open(path);
    const alice = user('Alice');
    await store.put(alice);
    expect(await store.get('ALICE')).toEqual({ ...alice, username: 'alice' });
    expect(await store.list()).toEqual([{ ...alice, username: 'alice' }]);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`${JSON.stringify({ version: 1, users: [{ ...alice, username: 'alice' }] }, null, 2)}\n`);
    const reopened = await FileUserStore.open(path);
    expect(await reopened.get('alice')).toEqual({ ...alice, username: 'alice' });
  });

  it('delete: false for an unknown user (the file untouched), true and gone after a restart for a known one', async () => {
    const path = join(dir, 'users.json');
    const store = await FileUserStore.open(path);
    await store.put(user('bob'));
    await store.put(user('carol'));
    const before = await readFile(path, 'utf8');
    expect(await store.delete('nobody')).toBe(false);
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await store.delete('BOB')).toBe(true);
    expect(await store.get('bob')).toBeUndefined();
    const reopened = await FileUserStore.open(path);
    expect((await reopened.list()).map((u) => u.username)).toEqual(['carol']);
  });

  it('a change whose write fails is rolled back in memory', async () => {
    const folder = join(dir, 'sub');
    await mkdir(folder);
    const path = join(folder, 'users.json');
    const store = await FileUserStore.open(path);
    await store.put(user('dave'));
    // The folder replaced by a plain file: every write fails.
    await rm(folder, { recursive: true });
    await writeFile(folder, 'not a folder');
    await expect(store.put(user('erin'))).rejects.toThrow();
    await expect(store.delete('dave')).rejects.toThrow();
    expect((await store.list()).map((u) => u.username)).toEqual(['dave']);
    expect(await store.get('erin')).toBeUndefined();
    await rm(folder);
    await mkdir(folder);
    await store.put(user('frank'));
    expect((await (await FileUserStore.open(path)).list()).map((u) => u.username).sort()).toEqual(['dave', 'frank']);
  });

  it('an older file is brought up to date on disk: ids minted once, names in their normal form', async () => {
    const path = join(dir, 'users.json');
    const { id: _drop, ...old } = user('Grace');
    await writeFile(path, JSON.stringify({ version: 1, users: [old] }));
    const store = await FileUserStore.open(path);
    const loaded = await store.get('grace');
    expect(loaded?.username).toBe('grace');
    expect(loaded?.id).toMatch(/^[0-9a-f-]{36}$/);
    const onDisk = JSON.parse(await readFile(path, 'utf8')) as { users: UserRecord[] };
    expect(onDisk.users).toEqual([loaded]);
    expect((await (await FileUserStore.open(path)).get('grace'))?.id).toBe(loaded?.id);
  });

  it('a missing id alone is minted and written', async () => {
    const path = join(dir, 'users.json');
    const { id: _drop, ...old } = user('olga');
    await writeFile(path, JSON.stringify({ version: 1, users: [old] }));
    const id = (await (await FileUserStore.open(path)).get('olga'))?.id;
    expect(id).toBeDefined();
    expect((await (await FileUserStore.open(path)).get('olga'))?.id).toBe(id);
  });

  it('a name not in its normal form alone is rewritten too; an up-to-date file is not rewritten', async () => {
    const path = join(dir, 'users.json');
    const heidi = user('Heidi');
    await writeFile(path, JSON.stringify({ version: 1, users: [heidi] }));
    await FileUserStore.open(path);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, users: [{ ...heidi, username: 'heidi' }] });

    const current = JSON.stringify({ version: 1, users: [user('ivan')] });
    await writeFile(path, current);
    await FileUserStore.open(path);
    expect(await readFile(path, 'utf8')).toBe(current);
  });

  it('refuses, without touching it, a file that is not JSON, not a users file, or holds one name twice', async () => {
    const path = join(dir, 'users.json');
    const cases: Array<[string, RegExp]> = [
      ['{ not json', /^users file .*users\.json is not valid JSON; fix it or move it away$/],
      [JSON.stringify({ version: 2, users: [] }), /^users file .*users\.json is not a valid users file \(version: .+\); fix it or move it away$/],
      [JSON.stringify({ version: 1, users: [{ ...user('judy'), role: 'root' }] }), /is not a valid users file \(users\[0\]\.role: /],
      [JSON.stringify({ version: 1, users: [user('Admin'), user('kim'), user('ADMIN')] }), /^users file .*users\.json holds "Admin" and "ADMIN", which are one user now that usernames ignore case; remove all but one and start again$/],
    ];
    for (const [text, message] of cases) {
      await writeFile(path, text);
      await expect(FileUserStore.open(path)).rejects.toThrow(message);
      expect(await readFile(path, 'utf8')).toBe(text);
    }
  });

  it('names at most three problems of an invalid file', async () => {
    const path = join(dir, 'users.json');
    const bad = { ...user('x'), role: 'root', tokenVersion: -1, createdAt: 'then', updatedAt: 'now' };
    await writeFile(path, JSON.stringify({ version: 1, users: [bad] }));
    const error = (await FileUserStore.open(path).catch((e: unknown) => e)) as Error;
    expect(error.message.match(/users\[0\]\./g)).toHaveLength(3);
    expect(error.message).toMatch(/\(users\[0\]\.[^;]+; users\[0\]\.[^;]+; users\[0\]\.[^;]+\)/);
  });
});

describe('FileRevocationStore', () => {
  const future = Math.floor(Date.UTC(2030, 0, 1) / 1000);
  const now = () => Date.UTC(2026, 0, 1);

  it('no file: nothing revoked, generation 0', async () => {
    const store = await FileRevocationStore.open(join(dir, 'revocations.json'), { now });
    expect(await store.isTokenRevoked('t')).toBe(false);
    expect(await store.isFamilyRevoked('f')).toBe(false);
    expect(await store.currentGeneration()).toBe(0);
    expect(await store.revokedAllAt()).toBeUndefined();
  });

  it('every change is on disk when its call resolves: a restart keeps revoked tokens, used refresh tokens, families and a revoke-all', async () => {
    const path = join(dir, 'revocations.json');
    const store = await FileRevocationStore.open(path, { now });
    await store.revokeToken('access-1', future);
    expect(await store.isTokenRevoked('access-1')).toBe(true);
    expect(await (await FileRevocationStore.open(path, { now })).isTokenRevoked('access-1')).toBe(true);

    expect(await store.consumeRefreshToken('refresh-1', future)).toBe(true);
    expect(await (await FileRevocationStore.open(path, { now })).consumeRefreshToken('refresh-1', future)).toBe(false);
    expect(await store.consumeRefreshToken('refresh-1', future)).toBe(false);

    await store.revokeFamily('family-1', future);
    expect(await store.isFamilyRevoked('family-1')).toBe(true);
    expect(await (await FileRevocationStore.open(path, { now })).isFamilyRevoked('family-1')).toBe(true);

    expect(await store.nextGeneration()).toBe(1);
    const reopened = await FileRevocationStore.open(path, { now });
    expect(await reopened.currentGeneration()).toBe(1);
    expect(await reopened.revokedAllAt()).toBe(now() / 1000);
    expect(await reopened.isTokenRevoked('access-2')).toBe(false);
  });

  it('a refresh token presented a second time is not written again', async () => {
    const path = join(dir, 'revocations.json');
    const store = await FileRevocationStore.open(path, { now });
    await store.consumeRefreshToken('refresh-1', future);
    await rm(path);
    expect(await store.consumeRefreshToken('refresh-1', future)).toBe(false);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('uses the clock it is given', async () => {
    const path = join(dir, 'revocations.json');
    const store = await FileRevocationStore.open(path, { now: () => 5_000_000 });
    await store.nextGeneration();
    expect(await store.revokedAllAt()).toBe(5000);
  });
});
