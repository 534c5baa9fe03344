import { createPublicKey } from 'node:crypto';
import { base64url, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller, type ExternalIssuerOptions } from '../../src/index.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

const FAST = { logN: 10, r: 8, p: 1 };
const system = { actor: systemCaller('test') };

let idp: TestIdentityProvider;
const gateways: Gateway[] = [];

beforeEach(async () => {
  idp = await TestIdentityProvider.start();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await idp.close();
});

function gateway(options: Partial<ExternalIssuerOptions> = {}, now?: () => number): Gateway {
  const g = new Gateway({
    logger: silentLogger,
    auth: { passwordHashing: FAST, ...(now === undefined ? {} : { now }), externalIssuers: [{ issuer: idp.issuer, audience: AUDIENCE, ...options }] },
  });
  gateways.push(g);
  return g;
}

describe('tokens of an external identity provider', () => {
  it('a valid token is a caller with the mapped role and allow-list, named apart from local users', async () => {
    const g = gateway({ toolsClaim: 'tools' });
    const token = await idp.token({ sub: 'alice', jti: 'idp-jti-1', tools: ['echo', 'file.*'] });
    await expect(g.auth.authenticateHeader(`Bearer ${token}`)).resolves.toEqual({
      kind: 'user',
      id: 'oidc:alice',
      issuer: idp.issuer,
      role: 'agent',
      tokenId: 'idp-jti-1',
      allowedTools: ['echo', 'file.*'],
    });
    expect(g.auth.authorizationServers).toEqual([idp.issuer]);
  });

  it('maps claim values through the configured roles, lists and nested claims included', async () => {
    const g = gateway({ roleClaim: 'realm_access.roles', roles: { 'gw-admins': 'admin', 'gw-approvers': 'approver', bots: 'agent' } });
    const as = async (roles: unknown) => g.auth.authenticate(await idp.token({ agent_gateway_role: undefined, realm_access: { roles } }));
    await expect(as(['offline_access', 'bots'])).resolves.toMatchObject({ role: 'agent' });
    await expect(as('gw-approvers')).resolves.toMatchObject({ role: 'approver' });
    // admin may do what the others may: several roles with admin among them is admin.
    await expect(as(['bots', 'gw-admins'])).resolves.toMatchObject({ role: 'admin' });
    // approver and agent are kept apart on purpose: a token with both is refused.
    await expect(as(['bots', 'gw-approvers'])).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    // The unmapped value `admin` is not a role here once a mapping is given.
    await expect(as(['admin'])).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('a token without a role for this gateway is refused (403), unless a default role is configured', async () => {
    const token = await idp.token({ agent_gateway_role: undefined });
    await expect(gateway().auth.authenticate(token)).rejects.toMatchObject({ status: 403, code: 'forbidden', message: expect.stringContaining('no role') });
    await expect(gateway().auth.authenticate(await idp.token({ agent_gateway_role: 'superuser' }))).rejects.toMatchObject({ status: 403 });
    await expect(gateway({ defaultRole: 'agent' }).auth.authenticate(token)).resolves.toMatchObject({ role: 'agent' });
  });

  it('with a tools claim configured, a token without it may call no tool; a malformed one is refused', async () => {
    const g = gateway({ toolsClaim: 'tools' });
    await expect(g.auth.authenticate(await idp.token())).resolves.toMatchObject({ allowedTools: [] });
    await expect(g.auth.authenticate(await idp.token({ tools: 'echo file.*' }))).resolves.toMatchObject({ allowedTools: ['echo', 'file.*'] });
    await expect(g.auth.authenticate(await idp.token({ tools: ['ok', 'not a tool!'] }))).rejects.toMatchObject({ status: 403 });
    await expect(g.auth.authenticate(await idp.token({ tools: { echo: true } }))).rejects.toMatchObject({ status: 403 });
  });

  it('refuses with 401 invalid_token: wrong issuer, wrong audience, expired, tampered, unknown key, no subject', async () => {
    const g = gateway();
    await idp.publishKey('unpublished', 'ES256', false);
    const now = Date.now();
    const valid = await idp.token();
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? ''))) as Record<string, unknown>;
    const tampered = `${header}.${base64url.encode(JSON.stringify({ ...claims, agent_gateway_role: 'admin' }))}.${signature}`;
    const bad = {
      'wrong issuer': await idp.token({ iss: 'https://evil.example' }),
      'issuer spelt with a trailing slash': await idp.token({ iss: `${idp.issuer}/` }),
      'wrong audience': await idp.token({ aud: 'https://another-api.example' }),
      'no audience': await idp.token({ aud: undefined }),
      expired: await idp.token({}, { now: now - 2 * 3600_000 }),
      'issued in the future': await idp.token({}, { now: now + 3600_000 }),
      'no expiry': await idp.token({ exp: undefined }),
      tampered,
      'signed by a key not in the JWKS': await idp.token({}, { kid: 'unpublished' }),
      'no subject': await idp.token({ sub: undefined }),
      'a subject with control characters': await idp.token({ sub: 'alice\nadmin' }),
      garbage: 'not.a.jwt',
    };
    for (const [what, token] of Object.entries(bad)) {
      const refusal = await g.auth.authenticate(token).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal, what).toMatchObject({ status: 401, code: 'invalid_token' });
      expect(JSON.stringify(refusal), what).not.toContain(token);
      expect((refusal as Error).message, what).not.toContain(token.slice(0, 20));
    }
    await expect(g.auth.authenticate(bad.expired)).rejects.toMatchObject({ message: 'token expired' });
  });

  it('refuses alg none and HS256 signed with the public key as the secret (alg confusion), without fetching keys', async () => {
    const g = gateway({ jwksUri: idp.jwksUri });
    const claims = { iss: idp.issuer, aud: AUDIENCE, sub: 'mallory', agent_gateway_role: 'admin' };
    const none = new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('1h').encode();
    const publicPem = createPublicKey({ key: idp.publicJwk(), format: 'jwk' }).export({ format: 'pem', type: 'spki' });
    const confusions = [
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(String(publicPem))),
      await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JSON.stringify(idp.publicJwk()))),
    ];
    for (const token of [none, ...confusions]) await expect(g.auth.authenticate(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    expect(idp.hits.jwks).toBe(0);
  });

  it('discovers the key set from the issuer once, and verifies RSA and EdDSA keys too', async () => {
    const g = gateway();
    await idp.publishKey('rsa', 'RS256');
    await idp.publishKey('ed', 'EdDSA');
    for (const kid of ['key-1', 'rsa', 'ed']) await expect(g.auth.authenticate(await idp.token({}, { kid }))).resolves.toMatchObject({ id: 'oidc:user-1' });
    expect(idp.hits).toEqual({ discovery: 1, jwks: 1 });
  });

  it('a token without a kid is checked against each key that could have signed it', async () => {
    const g = gateway();
    await idp.publishKey('key-2');
    await idp.publishKey('not-published', 'ES256', false);
    await expect(g.auth.authenticate(await idp.token({}, { kid: 'key-2', withoutKid: true }))).resolves.toMatchObject({ id: 'oidc:user-1' });
    await expect(g.auth.authenticate(await idp.token({}, { kid: 'not-published', withoutKid: true }))).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('a provider that cannot be reached is 503 identity_provider_unavailable, and the next token tries again', async () => {
    const token = await idp.token();
    const g = gateway();
    const h = gateway({ jwksUri: idp.jwksUri });
    await idp.close();
    for (const candidate of [g, h]) {
      const refusal = await candidate.auth.authenticate(token).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ status: 503, code: 'identity_provider_unavailable', headers: { 'retry-after': '5' } });
      expect(JSON.stringify(refusal)).not.toContain(token);
    }
  });

  it("logs why the provider cannot be reached, once per 30 s, never with the token", async () => {
    let now = Date.now();
    const warnings: Array<{ message: string; fields: unknown }> = [];
    const logger = { ...silentLogger, warn: (message: string, fields?: unknown) => warnings.push({ message, fields }) };
    const g = new Gateway({ logger, auth: { now: () => now, externalIssuers: [{ issuer: idp.issuer, audience: AUDIENCE }] } });
    gateways.push(g);
    const token = await idp.token();
    await idp.close();
    await expect(g.auth.authenticate(token)).rejects.toMatchObject({ status: 503 });
    await expect(g.auth.authenticate(token)).rejects.toMatchObject({ status: 503 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toMatchObject({ issuer: idp.issuer, error: expect.anything() });
    expect(JSON.stringify(warnings)).not.toContain(token);
    now += 30_000;
    await expect(g.auth.authenticate(token)).rejects.toMatchObject({ status: 503 });
    expect(warnings).toHaveLength(2);
  });

  it('a discovery document naming another issuer, or a plain-http key set elsewhere, is not trusted (503)', async () => {
    idp.discovery = { issuer: 'https://evil.example', jwks_uri: idp.jwksUri };
    await expect(gateway().auth.authenticate(await idp.token())).rejects.toMatchObject({ status: 503, code: 'identity_provider_unavailable' });
    idp.discovery = { issuer: idp.issuer, jwks_uri: 'http://keys.example/jwks' };
    await expect(gateway().auth.authenticate(await idp.token())).rejects.toMatchObject({ status: 503 });
    expect(idp.hits.jwks).toBe(0);
  });

  it('picks up a rotated key (a new kid in the JWKS) once the cooldown has passed, not on every unknown kid', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 5, 1));
    const g = gateway({ jwksUri: idp.jwksUri });
    await expect(g.auth.authenticate(await idp.token())).resolves.toMatchObject({ id: 'oidc:user-1' });
    await idp.publishKey('key-2');
    const rotated = await idp.token({}, { kid: 'key-2' });
    // Within jose's 30 s cooldown an unknown kid does not fetch the key set again.
    await expect(g.auth.authenticate(rotated)).rejects.toMatchObject({ status: 401 });
    expect(idp.hits.jwks).toBe(1);
    vi.setSystemTime(Date.now() + 31_000);
    await expect(g.auth.authenticate(await idp.token({}, { kid: 'key-2' }))).resolves.toMatchObject({ id: 'oidc:user-1' });
    expect(idp.hits.jwks).toBe(2);
    await expect(g.auth.authenticate(await idp.token({}, { kid: 'key-1' }))).resolves.toMatchObject({ id: 'oidc:user-1' });
    expect(idp.hits.jwks).toBe(2);
  });

  it('revocation applies: by jti, by the token itself, and revoke-all ends tokens issued up to it', async () => {
    let now = Date.now();
    const g = gateway({}, () => now);
    const first = await idp.token({ jti: 'a' }, { now });
    await g.auth.revoke({ jti: 'a' }, system);
    await expect(g.auth.authenticate(first)).rejects.toMatchObject({ status: 401, message: 'token revoked' });

    const second = await idp.token({ jti: 'b' }, { now });
    await expect(g.auth.revoke({ token: second }, system)).resolves.toEqual({ tokenId: 'b', scope: 'token' });
    await expect(g.auth.authenticate(second)).rejects.toMatchObject({ message: 'token revoked' });
    await expect(g.auth.revoke({ token: await idp.token({ jti: undefined }, { now }) }, system)).rejects.toMatchObject({ status: 400 });

    const third = await idp.token({ jti: 'c' }, { now });
    const noIat = await idp.token({ jti: 'd', iat: undefined }, { now });
    await expect(g.auth.authenticate(noIat)).resolves.toMatchObject({ tokenId: 'd' });
    await g.auth.revokeAll(system);
    await expect(g.auth.authenticate(third)).rejects.toMatchObject({ message: 'token revoked' });
    await expect(g.auth.authenticate(noIat)).rejects.toMatchObject({ message: 'token revoked' });
    now += 2000;
    await expect(g.auth.authenticate(await idp.token({ jti: 'e' }, { now }))).resolves.toMatchObject({ tokenId: 'e' });
  });

  it('local tokens keep working beside external ones, and each is checked only by its own issuer', async () => {
    const g = gateway();
    await g.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, system);
    const { accessToken } = await g.auth.login('bot', 'bot-password', { address: 'a' });
    await expect(g.auth.authenticate(accessToken)).resolves.toMatchObject({ id: 'bot', role: 'agent' });
    expect(idp.hits).toEqual({ discovery: 0, jwks: 0 });
    // A provider's token is never an answer to the gateway's own refresh.
    await expect(g.auth.refresh(await idp.token())).rejects.toMatchObject({ status: 401 });
  });

  it('without providers, authorizationServers is empty and a token naming an unknown issuer is just invalid', async () => {
    const g = new Gateway({ logger: silentLogger, auth: { passwordHashing: FAST } });
    gateways.push(g);
    expect(g.auth.authorizationServers).toEqual([]);
    await expect(g.auth.authenticate(await idp.token())).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    expect(idp.hits).toEqual({ discovery: 0, jwks: 0 });
  });

  it('refuses configurations that would be unsafe or ambiguous', () => {
    const make = (externalIssuers: ExternalIssuerOptions[]) => () => new Gateway({ logger: silentLogger, auth: { externalIssuers } });
    expect(make([{ issuer: 'http://idp.example', audience: AUDIENCE }])).toThrow(/https/);
    expect(make([{ issuer: 'https://idp.example', audience: AUDIENCE, jwksUri: 'http://idp.example/jwks' }])).toThrow(/jwksUri/);
    expect(make([{ issuer: 'https://idp.example', audience: AUDIENCE, algorithms: ['HS256' as 'RS256'] }])).toThrow(/algorithms/);
    expect(make([{ issuer: 'https://idp.example', audience: AUDIENCE, prefix: 'Bad:Prefix' }])).toThrow(/prefix/);
    expect(make([{ issuer: 'https://a.example', audience: AUDIENCE }, { issuer: 'https://b.example', audience: AUDIENCE }])).toThrow(/prefix/);
    expect(make([{ issuer: 'intelli-agent-gateway', audience: AUDIENCE }])).toThrow();
    expect(make([{ issuer: 'https://a.example', audience: AUDIENCE }, { issuer: 'https://b.example', audience: AUDIENCE, prefix: 'partner' }])).not.toThrow();
  });
});

describe('external callers and local users', () => {
  function gatewayWithHeldTool() {
    const g = gateway();
    const runs: string[] = [];
    g.registerTool({
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

  it('an external user named like a local one is not that user, and cannot act as them', async () => {
    const { g } = gatewayWithHeldTool();
    await g.auth.createUser({ username: 'alice', password: 'alice-password', role: 'admin' }, system);
    const external = await g.auth.authenticate(await idp.token({ sub: 'alice' }));
    expect(external.id).toBe('oidc:alice');
    // No local user can take an external name, and an external name is no local user.
    await expect(g.auth.createUser({ username: 'oidc:alice', password: 'x-password', role: 'admin' }, system)).rejects.toThrow();
    await expect(g.auth.callerFor('oidc:alice')).rejects.toMatchObject({ status: 401 });
    // The local alice is untouched: her own token still proves her.
    const { accessToken } = await g.auth.login('alice', 'alice-password', { address: 'a' });
    await expect(g.auth.authenticate(accessToken)).resolves.toMatchObject({ id: 'alice', role: 'admin' });
  });

  it('an external user cannot approve their own call, even holding the approver role in another token', async () => {
    const { g, runs } = gatewayWithHeldTool();
    const asker = await g.auth.authenticate(await idp.token({ sub: 'Carol', agent_gateway_role: 'agent' }));
    const held = await g.callTool({ tool: 'risky', args: {} }, { caller: asker });
    const id = held.status === 'pending' ? held.approvalId : '';
    const sameUserAsApprover = await g.auth.authenticate(await idp.token({ sub: 'carol', agent_gateway_role: 'approver' }));
    await expect(g.approvals.approve(id, sameUserAsApprover)).rejects.toMatchObject({ status: 403, code: 'self_approval' });
    expect(runs).toEqual([]);
  });

  it("a call approved by someone else runs as the external caller, unless the caller's token was revoked meanwhile", async () => {
    const { g, runs } = gatewayWithHeldTool();
    const approver = await g.auth.authenticate(await idp.token({ sub: 'dave', agent_gateway_role: 'approver' }));
    const asker = await g.auth.authenticate(await idp.token({ sub: 'erin', jti: 'erin-1' }));
    const first = await g.callTool({ tool: 'risky', args: {} }, { caller: asker });
    const second = await g.callTool({ tool: 'risky', args: {} }, { caller: asker });
    const idOf = (outcome: typeof first) => (outcome.status === 'pending' ? outcome.approvalId : '');
    await expect(g.approvals.approve(idOf(first), approver)).resolves.toMatchObject({ state: 'executed' });
    expect(runs).toEqual(['oidc:erin']);
    await g.auth.revoke({ jti: 'erin-1' }, system);
    await expect(g.approvals.approve(idOf(second), approver)).resolves.toMatchObject({ state: 'failed', error: { status: 401 } });
    expect(runs).toEqual(['oidc:erin']);
  });
});
