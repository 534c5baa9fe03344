import { createPublicKey } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExternalIssuer, type ExternalIssuerContext, type ExternalIssuerOptions } from '../../src/auth/external-issuer.js';
import { IdentityProviderUnavailableError, InvalidTokenError } from '../../src/errors/index.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

/** A whole second, so that times one second either side of a limit are exact. */
const T = 1_780_000_000;
const NOW_MS = T * 1000;

let idp: TestIdentityProvider;
beforeEach(async () => {
  idp = await TestIdentityProvider.start();
});
afterEach(async () => {
  await idp.close();
});

function issuer(options: Partial<ExternalIssuerOptions> = {}, context: ExternalIssuerContext = { now: () => NOW_MS }): ExternalIssuer {
  return new ExternalIssuer({ issuer: idp.issuer, audience: AUDIENCE, ...options }, context);
}

/** A token minted at T, its claims overridden by `claims`. */
async function tokenAtT(claims: Record<string, unknown> = {}, kid?: string): Promise<string> {
  return idp.token(claims, { now: NOW_MS, ...(kid === undefined ? {} : { kid }) });
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

async function expectInvalid(promise: Promise<unknown>, message = 'invalid token'): Promise<void> {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ status: 401, code: 'invalid_token', message });
}

describe('ExternalIssuer.verify', () => {
  it('returns the payload, its jti, iat and exp', async () => {
    const token = await tokenAtT({ jti: 'jti-1', sub: 'alice' });
    const verified = await issuer().verify(token);
    expect(verified).toEqual({
      payload: { iss: idp.issuer, aud: AUDIENCE, sub: 'alice', jti: 'jti-1', iat: T, exp: T + 3600, agent_gateway_role: 'agent' },
      tokenId: 'jti-1',
      issuedAt: T,
      expiresAt: T + 3600,
    });
  });

  it('a jti that is empty or not a string is no token id', async () => {
    const verifier = issuer();
    for (const jti of ['', 5, undefined]) {
      const verified = await verifier.verify(await tokenAtT({ jti }));
      expect(verified.tokenId, String(jti)).toBeUndefined();
    }
    expect((await verifier.verify(await tokenAtT({ iat: undefined }))).issuedAt).toBeUndefined();
  });

  it('checks the issuer and the audience (one of several is enough)', async () => {
    const verifier = issuer();
    await expect(verifier.verify(await tokenAtT({ aud: ['https://other.example', AUDIENCE] }))).resolves.toMatchObject({ expiresAt: T + 3600 });
    await expectInvalid(verifier.verify(await tokenAtT({ aud: 'https://other.example' })));
    await expectInvalid(verifier.verify(await tokenAtT({ aud: undefined })));
    await expectInvalid(verifier.verify(await tokenAtT({ iss: 'https://evil.example' })));
    await expectInvalid(verifier.verify(await tokenAtT({ iss: undefined })));
  });

  it('requires exp', async () => {
    await expectInvalid(issuer().verify(await tokenAtT({ exp: undefined })));
  });

  it('expiry allows 10 s of clock difference by default', async () => {
    const verifier = issuer();
    await expect(verifier.verify(await tokenAtT({ exp: T - 9 }))).resolves.toMatchObject({ expiresAt: T - 9 });
    await expectInvalid(verifier.verify(await tokenAtT({ exp: T - 10 })), 'token expired');
    await expectInvalid(verifier.verify(await tokenAtT({ exp: T - 3600 })), 'token expired');
  });

  it('expiry allows the configured clock difference: none, or a minute', async () => {
    await expect(issuer({ clockToleranceSeconds: 0 }).verify(await tokenAtT({ exp: T + 1 }))).resolves.toBeDefined();
    await expectInvalid(issuer({ clockToleranceSeconds: 0 }).verify(await tokenAtT({ exp: T })), 'token expired');
    await expect(issuer({ clockToleranceSeconds: 60 }).verify(await tokenAtT({ exp: T - 59 }))).resolves.toBeDefined();
    await expectInvalid(issuer({ clockToleranceSeconds: 60 }).verify(await tokenAtT({ exp: T - 60 })), 'token expired');
  });

  it('nbf and iat may be at most the tolerance ahead of our clock', async () => {
    const verifier = issuer();
    await expect(verifier.verify(await tokenAtT({ nbf: T + 10 }))).resolves.toBeDefined();
    await expectInvalid(verifier.verify(await tokenAtT({ nbf: T + 11 })));
    await expect(verifier.verify(await tokenAtT({ iat: T + 10 }))).resolves.toMatchObject({ issuedAt: T + 10 });
    await expectInvalid(verifier.verify(await tokenAtT({ iat: T + 11 })), 'token not yet valid');
    await expectInvalid(verifier.verify(await tokenAtT({ iat: T + 3600, exp: T + 7200 })), 'token not yet valid');
    await expect(verifier.verify(await tokenAtT({ iat: T - 3000 }))).resolves.toMatchObject({ issuedAt: T - 3000 });
    const strict = issuer({ clockToleranceSeconds: 0 });
    await expect(strict.verify(await tokenAtT({ iat: T }))).resolves.toBeDefined();
    await expectInvalid(strict.verify(await tokenAtT({ iat: T + 1 })), 'token not yet valid');
  });

  it("reads the time from the context's clock, and from Date.now without one", async () => {
    // At T the token is fresh; an hour and more later it is not.
    const token = await tokenAtT();
    await expect(issuer().verify(token)).resolves.toBeDefined();
    await expectInvalid(issuer({}, { now: () => NOW_MS + 2 * 3600_000 }).verify(token), 'token expired');
    await expect(issuer({}, {}).verify(await idp.token())).resolves.toBeDefined();
  });

  it('a tampered payload, garbage, or a key not in the key set is invalid', async () => {
    const verifier = issuer();
    const [header, , signature] = (await tokenAtT()).split('.');
    const forged = Buffer.from(JSON.stringify({ iss: idp.issuer, aud: AUDIENCE, sub: 'root', iat: T, exp: T + 60, agent_gateway_role: 'admin' })).toString('base64url');
    await expectInvalid(verifier.verify(`${header}.${forged}.${signature}`));
    await expectInvalid(verifier.verify('not.a.jwt'));
    await expectInvalid(verifier.verify(''));
    await idp.publishKey('held-back', 'ES256', false);
    await expectInvalid(verifier.verify(await tokenAtT({}, 'held-back')));
  });
});

describe('ExternalIssuer.verify: algorithms', () => {
  it('accepts the configured asymmetric algorithms only, refusing others before fetching keys', async () => {
    await idp.publishKey('rsa', 'RS256');
    const onlyRsa = issuer({ algorithms: ['RS256'], jwksUri: idp.jwksUri });
    await expectInvalid(onlyRsa.verify(await tokenAtT({}, 'key-1')));
    expect(idp.hits.jwks).toBe(0);
    await expect(onlyRsa.verify(await tokenAtT({}, 'rsa'))).resolves.toBeDefined();
    const onlyEc = issuer({ algorithms: ['ES256'], jwksUri: idp.jwksUri });
    await expect(onlyEc.verify(await tokenAtT({}, 'key-1'))).resolves.toBeDefined();
    await expectInvalid(onlyEc.verify(await tokenAtT({}, 'rsa')));
  });

  it('by default ES256, RS256 and EdDSA, never none or HS256 keyed with the public key', async () => {
    await idp.publishKey('rsa', 'RS256');
    await idp.publishKey('ed', 'EdDSA');
    const verifier = issuer({ jwksUri: idp.jwksUri });
    for (const kid of ['key-1', 'rsa', 'ed']) await expect(verifier.verify(await tokenAtT({}, kid)), kid).resolves.toBeDefined();
    const fetched = idp.hits.jwks;
    const claims = { iss: idp.issuer, aud: AUDIENCE, sub: 'mallory', agent_gateway_role: 'admin' };
    const pem = String(createPublicKey({ key: idp.publicJwk(), format: 'jwk' }).export({ format: 'pem', type: 'spki' }));
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'key-1' }).setIssuedAt(T).setExpirationTime(T + 60).sign(new TextEncoder().encode(pem));
    const none = new UnsecuredJWT(claims).setIssuedAt(T).setExpirationTime(T + 60).encode();
    await expectInvalid(verifier.verify(hs256));
    await expectInvalid(verifier.verify(none));
    expect(idp.hits.jwks).toBe(fetched);
  });
});

describe('ExternalIssuer.verify: keys without a kid', () => {
  it('tries each key that could have signed the token, in turn', async () => {
    await idp.publishKey('key-2');
    const verifier = issuer({ jwksUri: idp.jwksUri });
    const withoutKid = async (claims: Record<string, unknown>, kid: string) => idp.token(claims, { now: NOW_MS, kid, withoutKid: true });
    await expect(verifier.verify(await withoutKid({ jti: 'second' }, 'key-2'))).resolves.toMatchObject({ tokenId: 'second' });
    await expect(verifier.verify(await withoutKid({ jti: 'first' }, 'key-1'))).resolves.toMatchObject({ tokenId: 'first' });
    // The key that signed it says why it is refused: expired, not "invalid".
    await expectInvalid(verifier.verify(await withoutKid({ exp: T - 60 }, 'key-2')), 'token expired');
    await expectInvalid(verifier.verify(await withoutKid({ aud: 'https://other.example' }, 'key-2')));
    await expectInvalid(verifier.verify(await withoutKid({ iat: T + 60, exp: T + 600 }, 'key-2')), 'token not yet valid');
    await idp.publishKey('held-back', 'ES256', false);
    await expectInvalid(verifier.verify(await withoutKid({}, 'held-back')));
  });
});

describe('ExternalIssuer.identify', () => {
  it('by default: oidc:<sub>, the role from agent_gateway_role, no allow-list', async () => {
    const verifier = issuer();
    expect(verifier.prefix).toBe('oidc');
    expect(verifier.issuer).toBe(idp.issuer);
    const identity = verifier.identify(await verifier.verify(await tokenAtT({ sub: 'alice', agent_gateway_role: 'approver' })));
    expect(identity).toStrictEqual({ id: 'oidc:alice', role: 'approver' });
    expect(() => verifier.identify({ payload: { sub: 'x' }, tokenId: undefined, issuedAt: undefined, expiresAt: T })).toThrow(/no role/);
  });

  it('with its own prefix, claims, role map, default role and tools claim', async () => {
    const verifier = issuer({ prefix: 'partner', usernameClaim: 'email', roleClaim: 'realm.groups', roles: { bots: 'agent', ops: 'admin' }, defaultRole: 'approver', toolsClaim: 'tools' });
    expect(verifier.prefix).toBe('partner');
    const as = async (claims: Record<string, unknown>) => verifier.identify(await verifier.verify(await tokenAtT({ sub: 'ignored', email: 'bob@example.com', ...claims })));
    await expect(as({ realm: { groups: ['bots'] }, tools: ['echo'] })).resolves.toStrictEqual({ id: 'partner:bob@example.com', role: 'agent', allowedTools: ['echo'] });
    await expect(as({ realm: { groups: 'ops' }, tools: 'a b' })).resolves.toStrictEqual({ id: 'partner:bob@example.com', role: 'admin', allowedTools: ['a', 'b'] });
    // agent_gateway_role is not the role claim here, and the default map is not the map.
    await expect(as({ agent_gateway_role: 'admin' })).resolves.toStrictEqual({ id: 'partner:bob@example.com', role: 'approver', allowedTools: [] });
    await expect(as({ email: undefined })).rejects.toMatchObject({ status: 401, message: `the token's "email" claim must be a name of 1..256 characters` });
  });
});
