import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { MemoryRevocationStore } from '../../src/auth/revocation-store.js';
import { toolPatternSchema } from '../../src/auth/tool-allow-list.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';
import { Gateway, InvalidTokenError, silentLogger, systemCaller, TooManyAttemptsError, UnauthorizedError } from '../../src/index.js';

const FAST = { logN: 10, r: 8, p: 1 };
const system = { actor: systemCaller('test') };
const HOUR = 3_600_000;

async function gatewayWith(clock: { now: number }, auth: NonNullable<ConstructorParameters<typeof Gateway>[0]>['auth'] = {}): Promise<Gateway> {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST, now: () => clock.now, ...auth } });
  await gateway.auth.createUser({ username: 'erin', password: 'erin-password', role: 'agent', tools: ['echo', 'file.*'] }, system);
  await gateway.auth.createUser({ username: 'olga', password: 'olga-password', role: 'approver' }, system);
  return gateway;
}

const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

describe('TokenService checks', () => {
  it('reads the Authorization header as "Bearer <token>" and nothing else', async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const { accessToken } = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    for (const header of [`Bearer ${accessToken}`, `bearer ${accessToken}`, `Bearer   ${accessToken}`, `  Bearer ${accessToken}\t`]) {
      await expect(gateway.auth.authenticateHeader(header), header).resolves.toMatchObject({ id: 'erin' });
    }
    for (const header of [undefined, '']) {
      await expect(gateway.auth.authenticateHeader(header)).rejects.toThrow(new UnauthorizedError('a bearer token is required'));
    }
    const malformed = new InvalidTokenError('the Authorization header must be "Bearer <token>"');
    for (const header of [accessToken, `Basic ${accessToken}`, `xBearer ${accessToken}`, `Bearer ${accessToken} extra`, `Bearer ${accessToken},other`, 'Bearer ', `Bearer${accessToken}`]) {
      await expect(gateway.auth.authenticateHeader(header), header).rejects.toThrow(malformed);
    }
  });

  it("an authenticated caller carries the user's role, instance, allow-list and token id; a user without a list has none", async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const erin = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    const [user] = (await gateway.auth.listUsers()).filter((u) => u.username === 'erin');
    await expect(gateway.auth.authenticate(erin.accessToken)).resolves.toEqual({
      kind: 'user',
      id: 'erin',
      userId: expect.any(String),
      role: 'agent',
      tokenId: erin.tokenId,
      allowedTools: ['echo', 'file.*'],
    });
    expect(user).toBeDefined();
    const olga = await gateway.auth.login('olga', 'olga-password', { address: 'a' });
    const caller = await gateway.auth.authenticate(olga.accessToken);
    expect(caller).not.toHaveProperty('allowedTools');
    expect(caller.tokenId).toBe(olga.tokenId);
    await expect(gateway.auth.callerFor('erin')).resolves.not.toHaveProperty('tokenId');
  });

  it("tokens name this gateway as issuer and audience, and a gateway's algorithm and JWKS are the codec's", async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const { accessToken } = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    expect(payloadOf(accessToken)).toMatchObject({ iss: 'intelli-agent-gateway', aud: 'intelli-agent-gateway', sub: 'erin', typ: 'access' });
    expect(gateway.auth.algorithm).toBe('HS256');
    await expect(gateway.auth.jwks()).resolves.toEqual({ keys: [] });
  });

  it('callerFor refuses a user of that name who is another instance now (deleted and created again)', async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const before = await gateway.auth.callerFor('erin');
    await expect(gateway.auth.callerFor('erin', before.userId)).resolves.toMatchObject({ id: 'erin', userId: before.userId });
    await gateway.auth.deleteUser('erin', system);
    await gateway.auth.createUser({ username: 'erin', password: 'erin-password', role: 'agent' }, system);
    await expect(gateway.auth.callerFor('erin', before.userId)).rejects.toThrow(new InvalidTokenError('no user named "erin"'));
    await expect(gateway.auth.callerFor('nobody')).rejects.toThrow(new InvalidTokenError('no user named "nobody"'));
    // The caller of a held call is looked up again the same way.
    await expect(gateway.auth.currentCaller(before)).rejects.toThrow(new InvalidTokenError('no user named "erin"'));
  });

  it('a caller of an identity provider no longer configured, or whose token was revoked, is refused when a held call is approved', async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const external = { kind: 'user', id: 'oidc:alice', issuer: 'https://idp.example', role: 'agent', tokenId: 'idp-jti' } as const;
    await expect(gateway.auth.currentCaller(external)).rejects.toThrow(new InvalidTokenError('the identity provider of this caller is no longer configured'));
    const configured = await gatewayWith({ now: Date.now() }, { externalIssuers: [{ issuer: 'https://idp.example', audience: 'https://gateway.test' }] });
    await expect(configured.auth.currentCaller(external)).resolves.toEqual(external);
    await expect(configured.auth.currentCaller({ ...external, tokenId: undefined })).resolves.toMatchObject({ id: 'oidc:alice' });
    await configured.auth.revoke({ jti: 'idp-jti' }, system);
    await expect(configured.auth.currentCaller(external)).rejects.toThrow(new InvalidTokenError('token revoked'));
  });

  it('a replayed refresh token revokes its session for as long as the session could last, past the access TTL and a sweep', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayWith(clock, { refreshGraceSeconds: 0 });
    const first = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    const second = await gateway.auth.refresh(first.refreshToken);
    clock.now += 1000;
    await expect(gateway.auth.refresh(first.refreshToken)).rejects.toThrow('refresh token already used; the session it belongs to is revoked');
    await expect(gateway.auth.refresh(second.refreshToken)).rejects.toThrow('token revoked');
    clock.now += 2 * HOUR;
    // Sweeps run on the next revocation, at most once a minute.
    await gateway.auth.revoke({ jti: 'sweep' }, system);
    await expect(gateway.auth.refresh(second.refreshToken)).rejects.toThrow('token revoked');
  });

  it("revocations are kept by the gateway's own clock, not the machine's", async () => {
    // The machine's clock far ahead of the gateway's: a store on the machine's clock would sweep every entry.
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    vi.setSystemTime(Date.UTC(2030, 0, 1));
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayWith(clock);
    const pair = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    await gateway.auth.revoke({ token: pair.accessToken }, system);
    vi.setSystemTime(Date.UTC(2030, 0, 1, 0, 5));
    await gateway.auth.revoke({ jti: 'sweep' }, system);
    await expect(gateway.auth.refresh(pair.refreshToken)).rejects.toThrow('token revoked');
    await expect(gateway.auth.authenticate(pair.accessToken)).rejects.toThrow('token revoked');
  });

  it('revoking an expired token or one this gateway did not sign is a 400 that says which', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayWith(clock);
    const { accessToken, refreshToken } = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    clock.now += 2 * HOUR;
    await expect(gateway.auth.revoke({ token: accessToken }, system)).rejects.toMatchObject({ status: 400, message: 'that token has expired already; nothing to revoke' });
    // The refresh token lives on: revoking it ends the session.
    await expect(gateway.auth.revoke({ token: refreshToken }, system)).resolves.toMatchObject({ scope: 'session' });
    for (const token of ['not-a-token', `${accessToken.slice(0, -4)}AAAA`]) {
      await expect(gateway.auth.revoke({ token }, system)).rejects.toMatchObject({ status: 400, message: 'that is not a valid token issued by this gateway' });
    }
    await expect(gateway.auth.revoke({ jti: 'j-1' }, system)).resolves.toEqual({ tokenId: 'j-1', scope: 'token' });
  });

  it('a throttled login says how many whole seconds to wait, at least one', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const gateway = await gatewayWith(clock, { throttle: { perUserAndAddress: { freeAttempts: 1, maxDelayMs: 60_000 }, baseDelayMs: 2500 } });
    const failed: unknown[] = [];
    gateway.events.on('auth.login_failed', (event) => failed.push(event));
    await expect(gateway.auth.login('erin', 'wrong', { address: '10.0.0.9' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    // The next attempt waits 2.5 s: told as 3 whole seconds.
    const throttled = await gateway.auth.login('erin', 'erin-password', { address: '10.0.0.9' }).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(TooManyAttemptsError);
    expect((throttled as TooManyAttemptsError).retryAfterSeconds).toBe(3);
    expect(failed).toEqual([
      { username: 'erin', address: '10.0.0.9', reason: 'invalid_credentials' },
      { username: 'erin', address: '10.0.0.9', reason: 'throttled' },
    ]);
    // A wait under a second is still told as one second, never as zero.
    clock.now += 2400;
    const soon = await gateway.auth.login('erin', 'erin-password', { address: '10.0.0.9' }).catch((error: unknown) => error);
    expect((soon as TooManyAttemptsError).retryAfterSeconds).toBe(1);
    // An unknown user fails the same way, and is named as typed (normalised).
    await expect(gateway.auth.login('Mallory', 'x', { address: '10.0.0.8' })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(failed.at(-1)).toEqual({ username: 'mallory', address: '10.0.0.8', reason: 'invalid_credentials' });
  });

  it("an identity provider may not claim the issuer the gateway signs its own tokens as", () => {
    const auth = { issuer: 'https://gw.example', externalIssuers: [{ issuer: 'https://gw.example', audience: 'https://gw.example/mcp' }] };
    expect(() => new Gateway({ logger: silentLogger, auth })).toThrow('external issuer "https://gw.example" is the gateway\'s own issuer');
  });

  it('a retried refresh within the grace window gets the same pair, and is audited as that refresh', async () => {
    const gateway = await gatewayWith({ now: Date.UTC(2026, 0, 1) });
    const refreshed: unknown[] = [];
    gateway.events.on('auth.refreshed', (event) => refreshed.push(event));
    const pair = await gateway.auth.login('erin', 'erin-password', { address: 'a' });
    const first = await gateway.auth.refresh(pair.refreshToken);
    await expect(gateway.auth.refresh(pair.refreshToken)).resolves.toEqual(first);
    const previousTokenId = payloadOf(pair.refreshToken).jti;
    expect(refreshed).toEqual([
      { username: 'erin', tokenId: first.tokenId, previousTokenId },
      { username: 'erin', tokenId: first.tokenId, previousTokenId },
    ]);
  });

  it("a deleted user's token is refused as revoked", async () => {
    const gateway = await gatewayWith({ now: Date.now() });
    const { accessToken } = await gateway.auth.login('olga', 'olga-password', { address: 'a' });
    await gateway.auth.deleteUser('olga', system);
    await expect(gateway.auth.authenticate(accessToken)).rejects.toThrow(new InvalidTokenError('token revoked'));
  });

  it('with identity providers configured, a malformed token to revoke is still a 400', async () => {
    const gateway = await gatewayWith({ now: Date.now() }, { externalIssuers: [{ issuer: 'https://idp.example', audience: 'https://gateway.test' }] });
    await expect(gateway.auth.revoke({ token: 'garbage' }, system)).rejects.toMatchObject({ status: 400, message: 'that is not a valid token issued by this gateway' });
  });

  it('a revocation is forgotten once every token it could concern has expired, not before', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const revocationStore = new MemoryRevocationStore({ now: () => clock.now });
    const gateway = await gatewayWith(clock, { revocationStore, accessTtlSeconds: 600, refreshTtlSeconds: 3600 });
    await gateway.auth.revoke({ jti: 'j-1' }, system);
    const sweepAt = async (ms: number): Promise<Record<string, number>> => {
      clock.now = Date.UTC(2026, 0, 1) + ms;
      await gateway.auth.revoke({ jti: `sweep-${ms}` }, system);
      return revocationStore.snapshot().revoked;
    };
    // Kept for the longer of the two lifetimes (an hour), then dropped.
    expect(await sweepAt(3600_000)).toHaveProperty('j-1', Date.UTC(2026, 0, 1) / 1000 + 3600);
    expect(await sweepAt(3602_000)).not.toHaveProperty('j-1');
  });

  it('a tool pattern that is not a name or a glob is refused, saying what is expected', () => {
    const result = toolPatternSchema.safeParse('file/*');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('expected a tool name or a glob such as file.*');
  });

  it("revoking an identity provider's token revokes that token alone, and says who did it", async () => {
    const idp = await TestIdentityProvider.start();
    onTestFinished(() => idp.close());
    const gateway = await gatewayWith({ now: Date.now() }, { externalIssuers: [{ issuer: idp.issuer, audience: AUDIENCE }] });
    onTestFinished(() => gateway.close());
    const revoked: unknown[] = [];
    gateway.events.on('auth.token_revoked', (event) => revoked.push(event));
    const token = await idp.token({ jti: 'idp-jti-9' });
    await expect(gateway.auth.authenticate(token)).resolves.toMatchObject({ tokenId: 'idp-jti-9' });
    await expect(gateway.auth.revoke({ token }, system)).resolves.toEqual({ tokenId: 'idp-jti-9', scope: 'token' });
    expect(revoked).toEqual([{ by: system.actor, tokenId: 'idp-jti-9', scope: 'token' }]);
    await expect(gateway.auth.authenticate(token)).rejects.toThrow('token revoked');
  });
});
