import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '@agent-gateway/core';
import {
  CONFORMANCE_FREE_LOGIN_ATTEMPTS,
  CONFORMANCE_ISSUER,
  CONFORMANCE_SECRET,
  createConformanceGateway,
  USERS,
  type ConformanceGateway,
} from './conformance-gateway.js';
import { getJson, postJson, rawRequest } from './http-client.js';
import { login, type Session } from './sessions.js';
import { expectError, type RunningServer, type StartServer } from './suite.js';

const secret = new TextEncoder().encode(CONFORMANCE_SECRET);
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface ForgeOptions {
  /** The user instance (`uid`) of the agent: a real one, so that only what a case names is wrong. */
  readonly uid?: string;
  readonly claims?: Record<string, unknown>;
  readonly key?: Uint8Array;
  readonly issuer?: string;
  readonly audience?: string;
  readonly expiresAt?: number;
  readonly notBefore?: number;
  readonly issuedAt?: number;
}

/** A token signed with the gateway's own secret unless told otherwise: only what is named is wrong. */
function forge(options: ForgeOptions = {}): Promise<string> {
  const iat = options.issuedAt ?? nowSeconds();
  let jwt = new SignJWT({ uid: options.uid ?? 'unknown', role: 'agent', typ: 'access', fam: 'f', ver: 0, gen: 0, ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(USERS.agent.username)
    .setJti(`forged-${Math.random()}`)
    .setIssuedAt(iat)
    .setExpirationTime(options.expiresAt ?? iat + 600)
    .setIssuer(options.issuer ?? CONFORMANCE_ISSUER)
    .setAudience(options.audience ?? CONFORMANCE_ISSUER);
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
  return jwt.sign(options.key ?? secret);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Auth cases of the conformance suite: login, refresh, revoke, users, roles, and token attacks. */
export function describeAuthConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (auth): ${name}`, () => {
    let conformance: ConformanceGateway;
    let gateway: Gateway;
    let server: RunningServer;
    let base: string;
    const url = (path: string): string => `${base}${path}`;
    const callEcho = (token: string) => postJson(url('/tools/call'), { tool: 'echo', args: { text: 'hi' } }, token);
    let agentUid = '';
    const forgeAgent = (options: ForgeOptions = {}): Promise<string> => forge({ uid: agentUid, ...options });

    beforeAll(async () => {
      conformance = await createConformanceGateway();
      gateway = conformance.gateway;
      server = await start(gateway);
      base = server.baseUrl;
      agentUid = String(decodeJwt((await login(base, USERS.agent)).token).uid);
    });
    afterAll(async () => {
      await server.close();
      await conformance.dispose();
    });

    describe('login and the runbook section 3', () => {
      it('POST /admin/login returns {token, refresh_token, token_type, expires_in}', async () => {
        const response = await postJson(url('/admin/login'), { username: USERS.agent.username, password: USERS.agent.password });
        expect(response.status).toBe(200);
        const body = response.json<Record<string, unknown>>();
        expect(Object.keys(body).sort()).toEqual(['expires_in', 'refresh_token', 'token', 'token_type']);
        expect(body.token_type).toBe('Bearer');
        expect(body.expires_in).toBe(3600);
        const claims = decodeJwt(String(body.token));
        expect(claims).toMatchObject({ sub: USERS.agent.username, role: 'agent', typ: 'access', iss: CONFORMANCE_ISSUER });
        expect(decodeJwt(String(body.refresh_token))).toMatchObject({ typ: 'refresh', fam: claims.fam });
        expect((await callEcho(String(body.token))).status).toBe(200);
      });

      it('a wrong password and an unknown user get the same 401', async () => {
        const wrong = expectError(await postJson(url('/admin/login'), { username: USERS.agent.username, password: 'nope-nope' }), 401, 'invalid_credentials');
        const unknown = expectError(await postJson(url('/admin/login'), { username: 'nobody-here', password: 'nope-nope' }), 401, 'invalid_credentials');
        expect(unknown).toEqual(wrong);
      });

      it('a login body without a password -> 400', async () => {
        expectError(await postJson(url('/admin/login'), { username: 'x' }), 400, 'bad_request');
      });

      it('repeated failures for one user from one address -> 429 with Retry-After, even for the right password', async () => {
        const user = { username: 'throttled-user', password: 'throttled-password', role: 'agent' as const };
        await gateway.auth.createUser(user, { actor: { kind: 'system', id: 'test' } });
        for (let i = 0; i < CONFORMANCE_FREE_LOGIN_ATTEMPTS; i += 1) {
          expectError(await postJson(url('/admin/login'), { username: user.username, password: 'wrong-guess' }), 401, 'invalid_credentials');
        }
        const throttled = await postJson(url('/admin/login'), { username: user.username, password: user.password });
        expectError(throttled, 429, 'too_many_attempts');
        expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        // Another user from the same address is not locked out by it.
        await login(base, USERS.approver);
      });
    });

    describe('concurrent guesses', () => {
      it('many concurrent wrong passwords for one user: only the free attempts are checked, the rest -> 429', async () => {
        const user = { username: 'crowded-user', password: 'crowded-password', role: 'agent' as const };
        await gateway.auth.createUser(user, { actor: { kind: 'system', id: 'test' } });
        const responses = await Promise.all(
          Array.from({ length: 12 }, () => postJson(url('/admin/login'), { username: user.username, password: 'wrong-guess' })),
        );
        const statuses = responses.map((r) => r.status);
        expect(statuses.filter((s) => s === 401)).toHaveLength(CONFORMANCE_FREE_LOGIN_ATTEMPTS);
        expect(statuses.filter((s) => s === 429)).toHaveLength(12 - CONFORMANCE_FREE_LOGIN_ATTEMPTS);
        for (const response of responses) if (response.status === 429) expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      });
    });

    describe('bearer tokens on /tools/call', () => {
      it('no Authorization header -> 401 unauthorized with WWW-Authenticate', async () => {
        const response = await postJson(url('/tools/call'), { tool: 'echo', args: { text: 'hi' } });
        expectError(response, 401, 'unauthorized');
        expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
      });

      it('a header that is not "Bearer <token>" -> 401 invalid_token', async () => {
        const response = await rawRequest(url('/tools/call'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Basic cm9vdDpyb290' },
          body: '{"tool":"echo","args":{"text":"hi"}}',
        });
        expectError(response, 401, 'invalid_token');
      });

      it('refuses an unauthenticated call before reading its body', async () => {
        const response = await postJson(url('/tools/call'), '{"this is": not json');
        expectError(response, 401, 'unauthorized');
      });

      it.each([
        ['alg:none', async () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: USERS.agent.username, uid: agentUid, role: 'admin', typ: 'access', jti: 'x', fam: 'f', ver: 0, gen: 0, iat: nowSeconds(), exp: nowSeconds() + 600, iss: CONFORMANCE_ISSUER, aud: CONFORMANCE_ISSUER })}.`],
        ['signed with another key', () => forgeAgent({ key: new TextEncoder().encode('another-secret-that-is-also-32-bytes-long!') })],
        ['expired', () => forgeAgent({ issuedAt: nowSeconds() - 7200, expiresAt: nowSeconds() - 3600 })],
        ['not yet valid (nbf)', () => forgeAgent({ notBefore: nowSeconds() + 3600 })],
        ['issued in the future (iat)', () => forgeAgent({ issuedAt: nowSeconds() + 3600, expiresAt: nowSeconds() + 7200 })],
        ['from another issuer', () => forgeAgent({ issuer: 'someone-else' })],
        ['for another audience', () => forgeAgent({ audience: 'someone-else' })],
        ['a refresh token used as an access token', () => forgeAgent({ claims: { typ: 'refresh' } })],
        ['missing the gateway claims', () => forgeAgent({ claims: { typ: undefined, fam: undefined } })],
        ['without the user instance claim (issued before instances)', () => forgeAgent({ claims: { uid: undefined } })],
        ['naming another instance of the user', () => forgeAgent({ uid: '00000000-0000-4000-8000-000000000000' })],
        ['garbage', async () => 'not.a.jwt'],
      ])('a token %s -> 401 invalid_token', async (_label, make) => {
        expectError(await callEcho(await make()), 401, 'invalid_token');
      });

      it('a token right in every way is accepted (so each case above is refused for its own reason)', async () => {
        expect((await callEcho(await forgeAgent())).status).toBe(200);
      });

      it('a real refresh token used as an access token -> 401', async () => {
        const session = await login(base, USERS.agent);
        expectError(await callEcho(session.refreshToken), 401, 'invalid_token');
      });
    });

    describe('refresh rotation and reuse detection', () => {
      it('POST /admin/refresh returns new tokens and retires the old refresh token', async () => {
        const session = await login(base, USERS.agent);
        const refreshed = await postJson(url('/admin/refresh'), { refresh_token: session.refreshToken });
        expect(refreshed.status).toBe(200);
        const body = refreshed.json<{ token: string; refresh_token: string; token_type: string; expires_in: number }>();
        expect(body.token_type).toBe('Bearer');
        expect(body.refresh_token).not.toBe(session.refreshToken);
        expect((await callEcho(body.token)).status).toBe(200);
      });

      it('a retired refresh token presented again after the session moved on -> 401, and its whole family is dead', async () => {
        const session = await login(base, USERS.agent);
        const first = (await postJson(url('/admin/refresh'), { refresh_token: session.refreshToken })).json<{ token: string; refresh_token: string }>();
        // The owner's client rotates again; then the thief replays the retired token.
        const second = (await postJson(url('/admin/refresh'), { refresh_token: first.refresh_token })).json<{ token: string; refresh_token: string }>();
        expectError(await postJson(url('/admin/refresh'), { refresh_token: session.refreshToken }), 401, 'invalid_token');
        // Every token of that login is now refused: the original access token and the rotated pairs.
        expectError(await callEcho(session.token), 401, 'invalid_token');
        expectError(await callEcho(first.token), 401, 'invalid_token');
        expectError(await callEcho(second.token), 401, 'invalid_token');
        expectError(await postJson(url('/admin/refresh'), { refresh_token: second.refresh_token }), 401, 'invalid_token');
        // Other sessions of the same user live on.
        expect((await callEcho((await login(base, USERS.agent)).token)).status).toBe(200);
      });

      it('parallel refreshes with one token (a retrying client) both get the same new pair, within the grace window', async () => {
        const session = await login(base, USERS.agent);
        const [a, b] = await Promise.all([1, 2].map(() => postJson(url('/admin/refresh'), { refresh_token: session.refreshToken })));
        expect([a?.status, b?.status]).toEqual([200, 200]);
        const pair = a?.json<{ token: string; refresh_token: string }>();
        expect(b?.json()).toEqual(pair);
        expect((await callEcho(pair?.token ?? '')).status).toBe(200);
      });

      it('an access token cannot be used to refresh', async () => {
        const session = await login(base, USERS.agent);
        expectError(await postJson(url('/admin/refresh'), { refresh_token: session.token }), 401, 'invalid_token');
      });
    });

    describe('revocation', () => {
      it('POST /admin/revoke {token} ends that token and its session', async () => {
        const admin = await login(base, USERS.admin);
        const victim = await login(base, USERS.agent);
        const response = await postJson(url('/admin/revoke'), { token: victim.token }, admin.token);
        expect(response.status).toBe(200);
        expect(response.json()).toMatchObject({ revoked: 'session', jti: decodeJwt(victim.token).jti });
        expectError(await callEcho(victim.token), 401, 'invalid_token');
        expectError(await postJson(url('/admin/refresh'), { refresh_token: victim.refreshToken }), 401, 'invalid_token');
      });

      it('POST /admin/revoke {jti} revokes the token the audit log names', async () => {
        const admin = await login(base, USERS.admin);
        const victim = await login(base, USERS.agent);
        const jti = String(decodeJwt(victim.token).jti);
        expect((await postJson(url('/admin/revoke'), { jti }, admin.token)).status).toBe(200);
        expectError(await callEcho(victim.token), 401, 'invalid_token');
      });

      it('revoke needs an admin, and a token this gateway did not sign is a 400', async () => {
        const agent = await login(base, USERS.agent);
        expectError(await postJson(url('/admin/revoke'), { token: agent.token }, agent.token), 403, 'forbidden');
        const admin = await login(base, USERS.admin);
        expectError(await postJson(url('/admin/revoke'), { token: 'not-a-token' }, admin.token), 400, 'bad_request');
        expectError(await postJson(url('/admin/revoke'), {}, admin.token), 400, 'bad_request');
      });

      it('POST /admin/revoke {all:true} refuses every token issued before it', async () => {
        const admin = await login(base, USERS.admin);
        const agent = await login(base, USERS.agent);
        expect((await postJson(url('/admin/revoke'), { all: true }, admin.token)).status).toBe(200);
        expectError(await callEcho(agent.token), 401, 'invalid_token');
        expectError(await getJson(url('/admin/users'), admin.token), 401, 'invalid_token');
        expectError(await postJson(url('/admin/refresh'), { refresh_token: agent.refreshToken }), 401, 'invalid_token');
        expect((await callEcho((await login(base, USERS.agent)).token)).status).toBe(200);
      });
    });

    describe('users', () => {
      it('POST /admin/users creates (201) and re-passwords (200); the old tokens stop working', async () => {
        const admin = await login(base, USERS.admin);
        const user = { username: 'temp-agent', password: 'first-password', role: 'agent' };
        const created = await postJson(url('/admin/users'), user, admin.token);
        expect(created.status).toBe(201);
        expect(created.json()).toMatchObject({ created: true, user: { username: 'temp-agent', role: 'agent', tools: null } });
        const before = await login(base, user);

        const updated = await postJson(url('/admin/users'), { ...user, password: 'second-password' }, admin.token);
        expect(updated.status).toBe(200);
        expectError(await callEcho(before.token), 401, 'invalid_token');
        expectError(await postJson(url('/admin/login'), { username: user.username, password: user.password }), 401, 'invalid_credentials');
        expect((await callEcho((await login(base, { ...user, password: 'second-password' })).token)).status).toBe(200);
      });

      it('GET /admin/users lists users without any password hash', async () => {
        const admin = await login(base, USERS.admin);
        const response = await getJson(url('/admin/users'), admin.token);
        expect(response.status).toBe(200);
        expect(response.json<{ users: Array<{ username: string }> }>().users.map((u) => u.username)).toEqual(
          expect.arrayContaining([USERS.admin.username, USERS.agent.username]),
        );
        expect(response.text).not.toMatch(/scrypt|hash|password/i);
      });

      it('a deleted user cannot use a token issued before', async () => {
        const admin = await login(base, USERS.admin);
        const user = { username: 'doomed', password: 'doomed-password', role: 'agent' };
        await postJson(url('/admin/users'), user, admin.token);
        const session = await login(base, user);
        const deleted = await rawRequest(url('/admin/users/doomed'), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
        expect(deleted.status).toBe(200);
        expectError(await callEcho(session.token), 401, 'invalid_token');
        expectError(await rawRequest(url('/admin/users/doomed'), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } }), 404, 'not_found');
      });

      it('a user deleted and created again under the same name: the old access and refresh tokens -> 401', async () => {
        const admin = await login(base, USERS.admin);
        const user = { username: 'reborn', password: 'reborn-password', role: 'admin' };
        expect((await postJson(url('/admin/users'), user, admin.token)).status).toBe(201);
        const old = await login(base, user);
        const del = await rawRequest(url('/admin/users/reborn'), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
        expect(del.status).toBe(200);
        expect((await postJson(url('/admin/users'), user, admin.token)).status).toBe(201);
        expectError(await callEcho(old.token), 401, 'invalid_token');
        expectError(await getJson(url('/admin/users'), old.token), 401, 'invalid_token');
        expectError(await postJson(url('/admin/refresh'), { refresh_token: old.refreshToken }), 401, 'invalid_token');
        expect((await callEcho((await login(base, user)).token)).status).toBe(200);
        // Leave the suite's root as the only admin, as the last-admin case expects.
        await rawRequest(url('/admin/users/reborn'), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
      });

      it('usernames ignore case: another spelling logs in as the user, and cannot be created beside it (409)', async () => {
        const admin = await login(base, USERS.admin);
        const shouted = await login(base, { ...USERS.agent, username: USERS.agent.username.toUpperCase() });
        expect(decodeJwt(shouted.token).sub).toBe(USERS.agent.username);
        const clash = await postJson(url('/admin/users'), { ...USERS.admin, username: 'ROOT', role: 'agent' }, admin.token);
        expectError(clash, 409, 'conflict');
        const created = await postJson(url('/admin/users'), { username: 'Mixed.Case', password: 'mixed-password', role: 'agent' }, admin.token);
        expect(created.status).toBe(201);
        expect(created.json()).toMatchObject({ user: { username: 'mixed.case' } });
        const deleted = await rawRequest(url('/admin/users/MIXED.CASE'), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
        expect(deleted.json()).toEqual({ deleted: 'mixed.case' });
      });

      it('refuses a weak password, a bad role, a bad username and bad tool patterns with 400', async () => {
        const admin = await login(base, USERS.admin);
        for (const body of [
          { username: 'u1', password: 'short', role: 'agent' },
          { username: 'u1', password: 'long-enough', role: 'superuser' },
          { username: 'has space', password: 'long-enough', role: 'agent' },
          { username: 'u1', password: 'long-enough', role: 'agent', tools: ['file/*'] },
        ]) {
          expectError(await postJson(url('/admin/users'), body, admin.token), 400, 'bad_request');
        }
      });

      it('the last admin can be neither deleted nor demoted (409)', async () => {
        const admin = await login(base, USERS.admin);
        const del = await rawRequest(url(`/admin/users/${USERS.admin.username}`), { method: 'DELETE', headers: { authorization: `Bearer ${admin.token}` } });
        expectError(del, 409, 'conflict');
        expectError(await postJson(url('/admin/users'), { ...USERS.admin, role: 'agent' }, admin.token), 409, 'conflict');
      });
    });

    describe('roles and allow-lists', () => {
      it('admin routes need the admin role (403 for agents and approvers)', async () => {
        for (const user of [USERS.agent, USERS.approver]) {
          const session = await login(base, user);
          expectError(await getJson(url('/admin/users'), session.token), 403, 'forbidden');
        }
      });

      it('an approver does not call tools (403 tool_not_allowed)', async () => {
        const approver = await login(base, USERS.approver);
        expectError(await callEcho(approver.token), 403, 'tool_not_allowed');
      });

      it('an allow-list with globs lets its tools through and refuses the rest with 403', async () => {
        const session = await login(base, USERS.mathAgent);
        const ok = await postJson(url('/tools/call'), { tool: 'math.add', args: { a: 1, b: 1 } }, session.token);
        expect(ok.status).toBe(200);
        const refused = expectError(await callEcho(session.token), 403, 'tool_not_allowed');
        expect(refused.error.message).toMatch(/allow-list/);
      });

      it('an admin calls tools', async () => {
        expect((await callEcho((await login(base, USERS.admin)).token)).status).toBe(200);
      });
    });
  });

  describe(`HTTP conformance (auth, EdDSA keys): ${name}`, () => {
    let conformance: ConformanceGateway;
    let server: RunningServer;
    let base: string;

    beforeAll(async () => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
      conformance = await createConformanceGateway({ algorithm: 'EdDSA', privateKey, publicKey, keyId: 'k1' });
      server = await start(conformance.gateway);
      base = server.baseUrl;
    });
    afterAll(async () => {
      await server.close();
      await conformance.dispose();
    });

    it('logs in and calls tools with EdDSA-signed tokens', async () => {
      const session = await login(base, USERS.agent);
      expect(JSON.parse(Buffer.from(session.token.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({ alg: 'EdDSA', kid: 'k1' });
      expect((await postJson(`${base}/tools/call`, { tool: 'echo', args: { text: 'hi' } }, session.token)).status).toBe(200);
    });

    it('publishes the public key as a JWKS', async () => {
      const response = await getJson(`${base}/.well-known/jwks.json`);
      expect(response.status).toBe(200);
      const jwks = response.json<{ keys: Array<Record<string, unknown>> }>();
      expect(jwks.keys).toHaveLength(1);
      expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'k1', alg: 'EdDSA', use: 'sig' });
      expect(jwks.keys[0]).not.toHaveProperty('d');
    });

    it('refuses an HS256 token keyed with the public key (algorithm confusion)', async () => {
      const jwks = (await getJson(`${base}/.well-known/jwks.json`)).json<{ keys: Array<Record<string, unknown>> }>();
      const publicKeyBytes = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
      const confused = await new SignJWT({ role: 'admin', typ: 'access', fam: 'f', ver: 0, gen: 0 })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setSubject(USERS.admin.username)
        .setJti('confused')
        .setIssuedAt()
        .setExpirationTime('10m')
        .setIssuer(CONFORMANCE_ISSUER)
        .setAudience(CONFORMANCE_ISSUER)
        .sign(publicKeyBytes);
      expectError(await getJson(`${base}/admin/users`, confused), 401, 'invalid_token');
      // And one signed with the shared secret of the HS256 gateways is refused here just the same.
      expectError(await getJson(`${base}/admin/users`, await forge({ claims: { role: 'admin' } })), 401, 'invalid_token');
    });

    it('refuses a token signed by another EdDSA key', async () => {
      const other = await generateKeyPair('EdDSA');
      const token = await new SignJWT({ role: 'agent', typ: 'access', fam: 'f', ver: 0, gen: 0 })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
        .setSubject(USERS.agent.username)
        .setJti('other')
        .setIssuedAt()
        .setExpirationTime('10m')
        .setIssuer(CONFORMANCE_ISSUER)
        .setAudience(CONFORMANCE_ISSUER)
        .sign(other.privateKey);
      expectError(await postJson(`${base}/tools/call`, { tool: 'echo', args: { text: 'x' } }, token), 401, 'invalid_token');
    });
  });
}
