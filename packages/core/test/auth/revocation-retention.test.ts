import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AuditLog, Gateway, silentLogger, type GatewayEventMap } from '../../src/index.js';

const FAST = { logN: 10, r: 8, p: 1 };
const HOUR = 3_600_000;

/** A gateway on a clock the test moves; access tokens live an hour, refresh tokens a week (the defaults). */
async function gatewayAt(clock: { now: number }): Promise<Gateway> {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, refreshGraceSeconds: 0, now: () => clock.now } });
  await gateway.auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' }, { actor: { kind: 'system', id: 'test' } });
  await gateway.auth.createUser({ username: 'erin', password: 'erin-password', role: 'agent' }, { actor: { kind: 'system', id: 'test' } });
  return gateway;
}

function payloadOf(token: string): { jti: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string };
}

/** Sweeps run at most once a minute, on the next revocation: this makes one happen now. */
async function sweep(gateway: Gateway): Promise<void> {
  await gateway.auth.revoke({ jti: `sweep-${Math.random()}` }, { actor: { kind: 'system', id: 'test' } });
}

describe('revocation retention', () => {
  it("a revoked session's refresh token stays refused after the access TTL and a sweep, until it would have expired", async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayAt(clock);
    const pair = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    await gateway.auth.revoke({ token: pair.accessToken }, { actor: { kind: 'system', id: 'test' } });
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    // Past the access token's life, the revocation must still be held: the refresh token lives a week.
    clock.now += 2 * HOUR;
    await sweep(gateway);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    clock.now += 6 * 24 * HOUR;
    await sweep(gateway);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    // Once the refresh token has expired on its own, forgetting the revocation costs nothing.
    clock.now += 24 * HOUR;
    await sweep(gateway);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token expired');
  });

  it('a refresh token revoked by its jti (as the audit log shows it) stays refused past the access TTL', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayAt(clock);
    const pair = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    const { jti } = payloadOf(pair.refreshToken);
    await gateway.auth.revoke({ jti }, { actor: { kind: 'system', id: 'test' } });
    clock.now += 2 * HOUR;
    await sweep(gateway);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    clock.now += 5 * 24 * HOUR;
    await sweep(gateway);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    // The other session of the same user is not touched.
    const other = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    await expect(gateway.auth.refresh(other.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('revoking by access token ends that token and its whole session, and only that session', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayAt(clock);
    const first = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    const second = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    await expect(gateway.auth.revoke({ token: first.refreshToken }, { actor: { kind: 'system', id: 'test' } })).resolves.toEqual({
      tokenId: payloadOf(first.refreshToken).jti,
      scope: 'session',
    });
    await expect(gateway.auth.authenticate(first.accessToken)).rejects.toThrow('token revoked');
    await expect(gateway.auth.refresh(first.refreshToken)).rejects.toThrow('token revoked');
    await expect(gateway.auth.authenticate(second.accessToken)).resolves.toMatchObject({ id: 'erin' });
  });
});

describe('audit of revocations and user deletion', () => {
  it('says who revoked what, in which scope, and who deleted whom: on the event and in the audit log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'revocation-audit-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const audit = await AuditLog.open(join(dir, 'audit.log'));
    const gateway = new Gateway({ logger: silentLogger, audit, auth: { passwordHashing: FAST } });
    onTestFinished(() => gateway.close());
    const events: Array<GatewayEventMap['auth.token_revoked'][0] | GatewayEventMap['auth.user_deleted'][0]> = [];
    gateway.events.on('auth.token_revoked', (event) => events.push(event));
    gateway.events.on('auth.user_deleted', (event) => events.push(event));
    const boss = { kind: 'user', id: 'boss', role: 'admin', tokenId: 'boss-jti' } as const;
    await gateway.auth.createUser({ username: 'frank', password: 'frank-password', role: 'agent' }, { actor: boss });
    const pair = await gateway.auth.login('frank', 'frank-password', { address: 'a' });
    await gateway.auth.revoke({ jti: 'some-jti' }, { actor: boss });
    await gateway.auth.revoke({ token: pair.accessToken }, { actor: boss });
    await gateway.auth.revokeAll({ actor: { kind: 'system', id: 'incident' } });
    await gateway.auth.deleteUser('frank', { actor: boss });
    expect(events).toEqual([
      { by: boss, tokenId: 'some-jti', scope: 'token' },
      { by: boss, tokenId: pair.tokenId, scope: 'session' },
      { by: { kind: 'system', id: 'incident' }, tokenId: '*', scope: 'all' },
      { by: boss, username: 'frank' },
    ]);
    await expect.poll(async () => (await audit.tail(10, { event: 'user_deleted' })).length).toBe(1);
    const entries = (await audit.tail(20)).filter((entry) => entry.event === 'token_revoked' || entry.event === 'user_deleted');
    const bossActor = { type: 'user', user: 'boss', role: 'admin', jti: 'boss-jti' };
    expect(entries.map(({ event, actor, details }) => ({ event, actor, details }))).toEqual([
      { event: 'token_revoked', actor: bossActor, details: { jti: 'some-jti', scope: 'token' } },
      { event: 'token_revoked', actor: bossActor, details: { jti: pair.tokenId, scope: 'session' } },
      { event: 'token_revoked', actor: { type: 'system', name: 'incident' }, details: { jti: '*', scope: 'all' } },
      { event: 'user_deleted', actor: bossActor, details: { username: 'frank' } },
    ]);
  });
});
