import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { FileUserStore, Gateway, normalizeUsername, silentLogger, systemCaller } from '../../src/index.js';

const FAST = { logN: 10, r: 8, p: 1 };
const SECRET = 'user-instance-test-secret-of-32-bytes-or-more';
const system = { actor: systemCaller('test') };

function gateway(): Gateway {
  return new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, signingKey: { algorithm: 'HS256', secret: SECRET } } });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'user-instance-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('tokens are bound to the user instance (issue 14, defect 4)', () => {
  it('a user deleted and created again under the same name: the old access and refresh tokens are 401', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'root', password: 'root-password', role: 'admin' }, system);
    await g.auth.createUser({ username: 'ops', password: 'ops-password', role: 'admin' }, system);
    const old = await g.auth.login('ops', 'ops-password', { address: 'a' });
    await g.auth.deleteUser('ops', system);
    // Same name, same role, same password: the token version starts over at 0 as it did for the old one.
    await g.auth.createUser({ username: 'ops', password: 'ops-password', role: 'admin' }, system);
    await expect(g.auth.authenticate(old.accessToken)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    await expect(g.auth.refresh(old.refreshToken)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    const fresh = await g.auth.login('ops', 'ops-password', { address: 'a' });
    expect(decodeJwt(fresh.accessToken).uid).not.toBe(decodeJwt(old.accessToken).uid);
    await expect(g.auth.authenticate(fresh.accessToken)).resolves.toMatchObject({ id: 'ops', role: 'admin' });
  });

  it('a replaced user (new password) keeps its instance; its old tokens die by the token version', async () => {
    const g = gateway();
    const { user } = await g.auth.createUser({ username: 'bot', password: 'first-password', role: 'agent' }, system);
    const old = await g.auth.login('bot', 'first-password', { address: 'a' });
    const replaced = await g.auth.createUser({ username: 'bot', password: 'second-password', role: 'agent' }, system);
    expect(replaced.user.id).toBe(user.id);
    await expect(g.auth.authenticate(old.accessToken)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('a token without the instance claim (issued before this version) is refused', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    const now = Math.floor(Date.now() / 1000);
    const legacy = await new SignJWT({ role: 'agent', typ: 'access', fam: 'f', ver: 0, gen: 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('bot')
      .setJti('legacy')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setIssuer('intelli-agent-gateway')
      .setAudience('intelli-agent-gateway')
      .sign(new TextEncoder().encode(SECRET));
    await expect(g.auth.authenticate(legacy)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('an approved call or a runAs names the instance: another user of that name is not it', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    const before = await g.auth.callerFor('bot');
    expect(before.userId).toEqual(expect.any(String));
    await g.auth.deleteUser('bot', system);
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    await expect(g.auth.callerFor('bot', before.userId)).rejects.toMatchObject({ status: 401 });
    await expect(g.auth.callerFor('BOT')).resolves.toMatchObject({ id: 'bot' });
  });
});

describe('held calls and the user instance', () => {
  function gatewayWithHeldTool(): { g: Gateway; runs: string[] } {
    const runs: string[] = [];
    const g = gateway().registerTool({
      name: 'risky',
      description: 'held for approval',
      args: z.object({}),
      requiresApproval: true,
      run: (_args, context) => {
        runs.push(context.caller.id);
        return { ok: true };
      },
    });
    return { g, runs };
  }

  it('a call approved after its user was deleted and created again does not run as the new user', async () => {
    const { g, runs } = gatewayWithHeldTool();
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    await g.auth.createUser({ username: 'boss', password: 'boss-password', role: 'approver' }, system);
    const held = await g.callTool({ tool: 'risky', args: {} }, { caller: await g.auth.callerFor('bot') });
    await g.auth.deleteUser('bot', system);
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    const decided = await g.approvals.approve(held.status === 'pending' ? held.approvalId : '', await g.auth.callerFor('boss'));
    expect(decided).toMatchObject({ state: 'failed', error: { status: 401 } });
    expect(runs).toEqual([]);
    await g.close();
  });

  it('another spelling of the requester is still the requester: no self-approval', async () => {
    const { g, runs } = gatewayWithHeldTool();
    // A host may name callers itself; `Alice` and `alice` are one person.
    const held = await g.callTool({ tool: 'risky', args: {} }, { caller: { kind: 'user', id: 'Alice', role: 'agent' } });
    const id = held.status === 'pending' ? held.approvalId : '';
    await expect(g.approvals.approve(id, { kind: 'user', id: 'alice', role: 'approver' })).rejects.toMatchObject({ status: 403 });
    expect(runs).toEqual([]);
    await g.close();
  });
});

describe('one username, whatever its case (issue 14, defect 4)', () => {
  it('normalises with NFKC and lower case', () => {
    expect(normalizeUsername('Admin')).toBe('admin');
    expect(normalizeUsername('ＡＤＭＩＮ')).toBe('admin');
    expect(normalizeUsername('\u212Aelvin')).toBe('kelvin'); // the Kelvin sign
  });

  it('Admin and admin are one user: login, lookup, delete and the token subject agree', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' }, system);
    await g.auth.createUser({ username: 'Second-Admin', password: 'second-password', role: 'admin' }, system);
    const pair = await g.auth.login('ADMIN', 'admin-password', { address: 'a' });
    expect(decodeJwt(pair.accessToken).sub).toBe('admin');
    await expect(g.auth.authenticate(pair.accessToken)).resolves.toMatchObject({ id: 'admin' });
    expect((await g.auth.listUsers()).map((u) => u.username)).toEqual(['admin', 'second-admin']);
    await expect(g.auth.deleteUser('Second-ADMIN', system)).resolves.toEqual({ username: 'second-admin' });
    expect((await g.auth.listUsers()).map((u) => u.username)).toEqual(['admin']);
  });

  it('refuses another spelling of an existing name with 409, and changes nothing', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' }, system);
    await g.auth.createUser({ username: 'backup', password: 'backup-password', role: 'admin' }, system);
    await expect(g.auth.createUser({ username: 'Admin', password: 'attacker-password', role: 'agent' }, system)).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
    await expect(g.auth.login('admin', 'admin-password', { address: 'a' })).resolves.toBeDefined();
    await expect(g.auth.login('admin', 'attacker-password', { address: 'b' })).rejects.toMatchObject({ code: 'invalid_credentials' });
  });

  it('refuses a username that is not valid in normal form with 400, also in process', async () => {
    const g = gateway();
    await expect(g.auth.createUser({ username: 'has space', password: 'long-enough', role: 'agent' }, system)).rejects.toMatchObject({ status: 400 });
  });

  it('of two concurrent deletes of the only two admins, one is refused (the last admin stays)', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'a1', password: 'a1-password', role: 'admin' }, system);
    await g.auth.createUser({ username: 'a2', password: 'a2-password', role: 'admin' }, system);
    const results = await Promise.allSettled([g.auth.deleteUser('a1', system), g.auth.deleteUser('a2', system)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await g.auth.listUsers()).filter((u) => u.role === 'admin')).toHaveLength(1);
  });
});

describe('users files written before instance ids', () => {
  const legacyUser = (username: string) => ({
    username,
    role: 'admin',
    passwordHash: '$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    tokenVersion: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  it('get an id and a normalised name on load, written back so a restart keeps them', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(file, JSON.stringify({ version: 1, users: [legacyUser('Boss'), legacyUser('ops')] }));
    const first = await FileUserStore.open(file);
    const boss = await first.get('boss');
    expect(boss).toMatchObject({ username: 'boss', tokenVersion: 3, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as { users: Array<{ username: string; id?: string }> };
    expect(onDisk.users.map((u) => [u.username, u.id])).toEqual([
      ['boss', boss?.id],
      ['ops', (await first.get('ops'))?.id],
    ]);
    const second = await FileUserStore.open(file);
    expect((await second.get('Boss'))?.id).toBe(boss?.id);
  });

  it('holding two spellings of one name, stop the start with a clear message and are left alone', async () => {
    const file = join(await tempDir(), 'users.json');
    const text = JSON.stringify({ version: 1, users: [legacyUser('admin'), legacyUser('Admin')] });
    await writeFile(file, text);
    await expect(FileUserStore.open(file)).rejects.toThrow(/holds "admin" and "Admin", which are one user/);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
