import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { configFromEnv, createGatewayFromConfig, FileUserStore, Gateway, InvalidTokenError, silentLogger, systemCaller, type GatewayEventMap } from '../../src/index.js';
import { PasswordHasher } from '../../src/auth/password-hashing.js';

const FAST = { logN: 10, r: 8, p: 1 };
/** These tests are about auth: no sandbox worker processes. */
const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };
const system = { actor: systemCaller('test') };

function fastGateway(now?: () => number): Gateway {
  return new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, ...(now ? { now } : {}) } });
}

describe('TokenService', () => {
  it('answers an unknown user with the same scrypt work as a wrong password', async () => {
    const gateway = fastGateway();
    await gateway.auth.createUser({ username: 'alice', password: 'alice-password', role: 'agent' }, system);
    const verify = vi.spyOn(PasswordHasher.prototype, 'verify');
    await expect(gateway.auth.login('alice', 'wrong', { address: 'a' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(gateway.auth.login('mallory', 'wrong', { address: 'a' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    // One full scrypt check each, with hashes of the same parameters.
    expect(verify).toHaveBeenCalledTimes(2);
    const [realHash, decoyHash] = verify.mock.calls.map((call) => String(call[1]));
    expect(decoyHash?.split('$').slice(0, 3)).toEqual(realHash?.split('$').slice(0, 3));
    verify.mockRestore();
  });

  it('without a grace window, of two concurrent refreshes with one token exactly one wins and the session is then revoked', async () => {
    const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, refreshGraceSeconds: 0 } });
    await gateway.auth.createUser({ username: 'bob', password: 'bob-password', role: 'agent' }, system);
    const pair = await gateway.auth.login('bob', 'bob-password', { address: 'a' });
    const results = await Promise.allSettled([gateway.auth.refresh(pair.refreshToken), gateway.auth.refresh(pair.refreshToken)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ accessToken: string }>;
    // The replay killed the family, the winner's new tokens included.
    await expect(gateway.auth.authenticate(winner.value.accessToken)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('emits auth events for the audit log, never with a password or a token', async () => {
    let now = Date.UTC(2026, 0, 1);
    const gateway = fastGateway(() => now);
    const seen: Array<{ name: string; payload: unknown }> = [];
    for (const name of ['auth.login', 'auth.login_failed', 'auth.refreshed', 'auth.refresh_reused', 'auth.token_revoked', 'auth.user_created', 'auth.user_deleted'] as const) {
      gateway.events.on(name, (payload: GatewayEventMap[typeof name][0]) => seen.push({ name, payload }));
    }
    await gateway.auth.createUser({ username: 'carol', password: 'carol-password', role: 'agent' }, system);
    await gateway.auth.login('carol', 'nope', { address: '10.0.0.1' }).catch(() => undefined);
    const pair = await gateway.auth.login('carol', 'carol-password', { address: '10.0.0.1' });
    await gateway.auth.refresh(pair.refreshToken);
    // Past the refresh grace window, the same token again is a replay.
    now += 60_000;
    await gateway.auth.refresh(pair.refreshToken).catch(() => undefined);
    await gateway.auth.revoke({ token: pair.accessToken }, system);
    await gateway.auth.revokeAll(system);
    await gateway.auth.deleteUser('carol', system);
    expect(seen.map((e) => e.name)).toEqual([
      'auth.user_created',
      'auth.login_failed',
      'auth.login',
      'auth.refreshed',
      'auth.refresh_reused',
      'auth.token_revoked',
      'auth.token_revoked',
      'auth.user_deleted',
    ]);
    // Each says who acted and on what: the actor (\`by\`), the user, the token.
    const refreshed = seen[3]?.payload as { tokenId: string; previousTokenId: string };
    const refreshJti = (JSON.parse(Buffer.from(pair.refreshToken.split('.')[1] ?? '', 'base64url').toString()) as { jti: string }).jti;
    expect(seen.map((e) => e.payload)).toEqual([
      { by: system.actor, username: 'carol', role: 'agent', created: true },
      { username: 'carol', address: '10.0.0.1', reason: 'invalid_credentials' },
      { username: 'carol', address: '10.0.0.1', tokenId: pair.tokenId },
      { username: 'carol', tokenId: expect.any(String), previousTokenId: refreshJti },
      { username: 'carol', tokenId: refreshJti },
      { by: system.actor, tokenId: pair.tokenId, scope: 'session' },
      { by: system.actor, tokenId: '*', scope: 'all' },
      { by: system.actor, username: 'carol' },
    ]);
    expect(refreshed.tokenId).not.toBe(pair.tokenId);
    const text = JSON.stringify(seen);
    expect(text).not.toContain('carol-password');
    expect(text).not.toContain(pair.accessToken);
    expect(text).not.toContain(pair.refreshToken);
  });

  it('raises old hashes to the current parameters on the next successful login', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rehash-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const store = await FileUserStore.open(join(dir, 'users.json'));
    const weak = new Gateway({ logger: silentLogger, auth: { userStore: store, passwordHashing: { logN: 8, r: 8, p: 1 } } });
    await weak.auth.createUser({ username: 'dave', password: 'dave-password', role: 'agent' }, system);
    expect((await store.get('dave'))?.passwordHash).toMatch(/^\$scrypt\$ln=8,/);
    const stronger = new Gateway({ logger: silentLogger, auth: { userStore: store, passwordHashing: FAST } });
    await stronger.auth.login('dave', 'dave-password', { address: 'a' });
    expect((await store.get('dave'))?.passwordHash).toMatch(/^\$scrypt\$ln=10,/);
    await expect(stronger.auth.login('dave', 'dave-password', { address: 'a' })).resolves.toBeDefined();
  });

  it('revocation entries are kept until the token expires, then dropped', async () => {
    let now = Date.UTC(2026, 0, 1);
    const gateway = fastGateway(() => now);
    await gateway.auth.createUser({ username: 'erin', password: 'erin-password', role: 'agent' }, system);
    const pair = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    await gateway.auth.revoke({ jti: pair.tokenId }, system);
    await expect(gateway.auth.authenticate(pair.accessToken)).rejects.toMatchObject({ message: 'token revoked' });
    now += 3600 * 1000 + 10_000;
    await expect(gateway.auth.authenticate(pair.accessToken)).rejects.toMatchObject({ message: 'token expired' });
  });
});

describe('PasswordHasher', () => {
  it('uses OWASP parameters by default, salts every hash, and compares correctly', async () => {
    const hasher = new PasswordHasher();
    const [a, b] = await Promise.all([hasher.hash('correct horse'), hasher.hash('correct horse')]);
    expect(a).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify('correct horse', a)).toBe(true);
    expect(await hasher.verify('correct horsE', a)).toBe(false);
    expect(await hasher.verify('correct horse', 'garbage')).toBe(false);
    expect(hasher.needsRehash(a)).toBe(false);
    expect(hasher.needsRehash('$scrypt$ln=14,r=8,p=1$AAAA$AAAA')).toBe(true);
  });
});

describe('bootstrap and createGatewayFromConfig', () => {
  let dir: string;
  const opened: Gateway[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bootstrap-'));
  });
  afterEach(async () => {
    // Closed first: an open audit log may still be signing its checkpoint into the folder.
    await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
    await rm(dir, { recursive: true, force: true });
  });
  // Cheap scrypt unless a test gives its own: these are about start-up and restarts, not hashing cost.
  const open = async (...[config, options]: Parameters<typeof createGatewayFromConfig>): Promise<Gateway> => {
    const gateway = await createGatewayFromConfig(config, { ...options, auth: { passwordHashing: FAST, ...options?.auth } });
    opened.push(gateway);
    return gateway;
  };

  const config = (env: Record<string, string>) =>
    configFromEnv({
      AGENT_GATEWAY_USERS_PATH: join(dir, 'state', 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(dir, 'state', 'audit.log'),
      AGENT_GATEWAY_STATE_DIR: join(dir, 'state'),
      ...env,
    });

  it('refuses to start without AGENT_GATEWAY_ADMIN_PASS', () => {
    expect(() => config({})).toThrow(/AGENT_GATEWAY_ADMIN_PASS: is required/);
  });

  it('creates the admin once, in a 0600 file, and leaves a later re-password alone on restart', async () => {
    const first = await open(config({ AGENT_GATEWAY_ADMIN_PASS: 'initial-pass', AGENT_GATEWAY_ADMIN_USER: 'boss' }), { logger: silentLogger, workerPool: noPool });
    const file = join(dir, 'state', 'users.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, 'utf8')).not.toContain('initial-pass');
    await first.auth.login('boss', 'initial-pass', { address: 'a' });
    await first.auth.createUser({ username: 'boss', password: 'rotated-pass', role: 'admin' }, system);

    const restarted = await open(config({ AGENT_GATEWAY_ADMIN_PASS: 'initial-pass', AGENT_GATEWAY_ADMIN_USER: 'boss' }), { logger: silentLogger, workerPool: noPool });
    await expect(restarted.auth.login('boss', 'initial-pass', { address: 'a' })).rejects.toMatchObject({ status: 401 });
    await expect(restarted.auth.login('boss', 'rotated-pass', { address: 'a' })).resolves.toBeDefined();
  });

  it('with AGENT_GATEWAY_JWT_SECRET, tokens survive a restart; without it, a restart invalidates them', async () => {
    const secret = 'a-secret-of-at-least-thirty-two-bytes!!';
    const withSecret = config({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_JWT_SECRET: secret });
    const a = await open(withSecret, { logger: silentLogger, workerPool: noPool });
    const token = (await a.auth.login('admin', 'pw', { address: 'x' })).accessToken;
    const b = await open(withSecret, { logger: silentLogger, workerPool: noPool });
    await expect(b.auth.authenticate(token)).resolves.toMatchObject({ id: 'admin', role: 'admin' });

    const random = config({ AGENT_GATEWAY_ADMIN_PASS: 'pw' });
    const c = await open(random, { logger: silentLogger, workerPool: noPool });
    const token2 = (await c.auth.login('admin', 'pw', { address: 'x' })).accessToken;
    const d = await open(random, { logger: silentLogger, workerPool: noPool });
    await expect(d.auth.authenticate(token2)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('with a fixed secret, revocations survive a restart too', async () => {
    const withSecret = config({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_JWT_SECRET: 'a-secret-of-at-least-thirty-two-bytes!!' });
    const first = await open(withSecret, { logger: silentLogger, workerPool: noPool });
    const revoked = await first.auth.login('admin', 'pw', { address: 'x' });
    const used = await first.auth.login('admin', 'pw', { address: 'x' });
    await first.auth.revoke({ token: revoked.accessToken }, system);
    await first.auth.refresh(used.refreshToken);
    await first.close();

    const second = await open(withSecret, { logger: silentLogger, workerPool: noPool });
    await expect(second.auth.authenticate(revoked.accessToken)).rejects.toMatchObject({ message: 'token revoked' });
    // The refresh token used before the restart is still recognised as used: a replay kills its family.
    await expect(second.auth.refresh(used.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
    const fresh = await second.auth.login('admin', 'pw', { address: 'x' });
    await second.auth.revokeAll(system);
    await second.close();

    const third = await open(withSecret, { logger: silentLogger, workerPool: noPool });
    await expect(third.auth.authenticate(fresh.accessToken)).rejects.toMatchObject({ message: 'token revoked' });
    await expect(third.auth.authenticate((await third.auth.login('admin', 'pw', { address: 'x' })).accessToken)).resolves.toMatchObject({ id: 'admin' });
    await third.close();
  });

  it('takes the login queue and the refresh grace from AGENT_GATEWAY_LOGIN_* and AGENT_GATEWAY_REFRESH_GRACE', async () => {
    const gateway = await open(
      config({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_LOGIN_CONCURRENCY: '1', AGENT_GATEWAY_LOGIN_QUEUE: '0', AGENT_GATEWAY_REFRESH_GRACE: '0' }),
      { logger: silentLogger, workerPool: noPool, auth: { passwordHashing: FAST } },
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => gateway.auth.login('admin', 'pw', { address: `a${i}` })));
    expect(results.map((r) => (r.status === 'fulfilled' ? 200 : (r.reason as { status: number }).status))).toEqual([200, 503, 503]);
    const pair = results[0]?.status === 'fulfilled' ? results[0].value : undefined;
    await gateway.auth.refresh(pair?.refreshToken ?? '');
    await expect(gateway.auth.refresh(pair?.refreshToken ?? '')).rejects.toMatchObject({ code: 'invalid_token' });
    await gateway.close();
  });

  it('refuses a short AGENT_GATEWAY_JWT_SECRET without printing it', () => {
    expect(() => config({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_JWT_SECRET: 'short-secret' })).toThrow(
      /AGENT_GATEWAY_JWT_SECRET: must be at least 32 bytes/,
    );
    try {
      config({ AGENT_GATEWAY_ADMIN_PASS: 'pw', AGENT_GATEWAY_JWT_SECRET: 'short-secret' });
    } catch (error) {
      expect(String(error)).not.toContain('short-secret');
    }
  });

  it('stops at start on a users file it cannot read, and does not overwrite it', async () => {
    const file = join(dir, 'state', 'users.json');
    await open(config({ AGENT_GATEWAY_ADMIN_PASS: 'pw' }), { logger: silentLogger, workerPool: noPool });
    await writeFile(file, '{"version":1,"users":[{"username":"x"}]}');
    await expect(createGatewayFromConfig(config({ AGENT_GATEWAY_ADMIN_PASS: 'pw' }), { logger: silentLogger, workerPool: noPool })).rejects.toThrow(
      /users file .* is not a valid users file/,
    );
    await writeFile(file, '{not json');
    await expect(FileUserStore.open(file)).rejects.toThrow(/is not valid JSON/);
    expect(await readFile(file, 'utf8')).toBe('{not json');
  });
});
