import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExternalIssuerOptions } from '../../src/auth/external-issuer.js';
import { ExternalIssuers } from '../../src/auth/external-issuers.js';
import { MemoryRevocationStore, type RevocationStore } from '../../src/auth/revocation-store.js';
import { BadRequestError, IdentityProviderUnavailableError, InvalidTokenError } from '../../src/errors/index.js';
import { silentLogger, type Logger } from '../../src/index.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

const T = 1_780_000_000;
const NOW_MS = T * 1000 + 500;
const LOCAL = 'intelli-agent-gateway';

let idp: TestIdentityProvider;
beforeEach(async () => {
  idp = await TestIdentityProvider.start();
});
afterEach(async () => {
  await idp.close();
});

function issuers(
  options: ReadonlyArray<Partial<ExternalIssuerOptions>> = [{}],
  context: { revocations?: RevocationStore; logger?: Logger; localIssuer?: string } = {},
): ExternalIssuers {
  return new ExternalIssuers(
    options.map((entry) => ({ issuer: idp.issuer, audience: AUDIENCE, ...entry })),
    { localIssuer: context.localIssuer ?? LOCAL, revocations: context.revocations ?? new MemoryRevocationStore({ now: () => NOW_MS }), now: () => NOW_MS, logger: context.logger },
  );
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

/** A store without `revokedAllAt` (it cannot end provider tokens by a revoke-all), recording what it is asked. */
class RecordingStore implements RevocationStore {
  readonly asked: unknown[] = [];
  readonly #inner = new MemoryRevocationStore();
  revokeToken = (jti: string, expiresAt: number) => this.#inner.revokeToken(jti, expiresAt);
  isTokenRevoked = async (jti: string) => {
    this.asked.push(jti);
    return this.#inner.isTokenRevoked(jti);
  };
  consumeRefreshToken = (jti: string, expiresAt: number) => this.#inner.consumeRefreshToken(jti, expiresAt);
  revokeFamily = (family: string, expiresAt: number) => this.#inner.revokeFamily(family, expiresAt);
  isFamilyRevoked = (family: string) => this.#inner.isFamilyRevoked(family);
  currentGeneration = () => this.#inner.currentGeneration();
  nextGeneration = () => this.#inner.nextGeneration();
}

describe('ExternalIssuers: configuration', () => {
  it('lists the providers in configuration order, frozen', () => {
    const registry = issuers([{}, { issuer: 'https://b.example', prefix: 'b' }, { issuer: 'https://a.example', prefix: 'a' }]);
    expect(registry.servers).toEqual([idp.issuer, 'https://b.example', 'https://a.example']);
    expect(Object.isFrozen(registry.servers)).toBe(true);
    expect(registry.has('https://a.example')).toBe(true);
    expect(registry.has('https://c.example')).toBe(false);
    expect(issuers([]).servers).toEqual([]);
  });

  it("refuses the gateway's own issuer, an issuer twice, and a prefix twice", () => {
    expect(() => issuers([{ issuer: 'https://gw.example' }], { localIssuer: 'https://gw.example' })).toThrow(`external issuer "https://gw.example" is the gateway's own issuer`);
    expect(() => issuers([{}, { prefix: 'other' }])).toThrow(`external issuer ${JSON.stringify(idp.issuer)} is configured twice`);
    expect(() => issuers([{}, { issuer: 'https://b.example' }])).toThrow(`external issuers share the prefix "oidc"; give each its own`);
    expect(() => issuers([{ prefix: 'x' }, { issuer: 'https://b.example', prefix: 'x' }])).toThrow(TypeError);
  });

  it("passes its logger to each provider, for the provider's outages", async () => {
    const warnings: string[] = [];
    const registry = issuers([{}], { logger: { ...silentLogger, warn: (message: string) => warnings.push(message) } });
    const token = await idp.token({}, { now: NOW_MS });
    await idp.close();
    const provider = registry.issuerOf(token);
    if (provider === undefined) throw new Error('no provider');
    await expect(registry.authenticate(provider, token)).rejects.toBeInstanceOf(IdentityProviderUnavailableError);
    expect(warnings).toHaveLength(1);
  });
});

describe('ExternalIssuers.issuerOf', () => {
  it("picks the provider named by the token's iss; another issuer is none of them", async () => {
    const registry = issuers([{ prefix: 'first' }, { issuer: 'https://b.example', prefix: 'second' }]);
    expect(registry.issuerOf(await idp.token())?.prefix).toBe('first');
    expect(registry.issuerOf(await idp.token({ iss: 'https://b.example' }))?.prefix).toBe('second');
    expect(registry.issuerOf(await idp.token({ iss: LOCAL }))).toBeUndefined();
    expect(registry.issuerOf(await idp.token({ iss: undefined }))).toBeUndefined();
    const numericIss: Record<string, unknown> = { iss: 5 };
    expect(registry.issuerOf(await idp.token(numericIss))).toBeUndefined();
  });

  it('a token that is not a JWT is invalid, unless no provider is configured (then nothing is decoded)', () => {
    const error = (() => {
      try {
        return issuers().issuerOf('garbage');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ status: 401, message: 'invalid token' });
    expect(issuers([]).issuerOf('garbage')).toBeUndefined();
  });
});

describe('ExternalIssuers.authenticate', () => {
  it('the caller: user, its prefixed name, issuer, role, token id and allow-list when there are any', async () => {
    const registry = issuers([{ toolsClaim: 'tools' }]);
    const provider = registry.issuerOf(await idp.token());
    if (provider === undefined) throw new Error('no provider');
    await expect(registry.authenticate(provider, await idp.token({ sub: 'alice', jti: 'j-1', tools: ['echo'] }, { now: NOW_MS }))).resolves.toStrictEqual({
      kind: 'user',
      id: 'oidc:alice',
      issuer: idp.issuer,
      role: 'agent',
      tokenId: 'j-1',
      allowedTools: ['echo'],
    });
    const plain = issuers();
    const bare = await plain.authenticate(plain.issuerOf(await idp.token()) ?? provider, await idp.token({ sub: 'bob', jti: undefined }, { now: NOW_MS }));
    expect(bare).toStrictEqual({ kind: 'user', id: 'oidc:bob', issuer: idp.issuer, role: 'agent' });
    expect(Object.keys(bare)).toEqual(['kind', 'id', 'issuer', 'role']);
  });

  it('a token revoked here by its jti is refused; a token without a jti is never looked up as one', async () => {
    const store = new RecordingStore();
    const registry = issuers([{}], { revocations: store });
    const provider = registry.issuerOf(await idp.token());
    if (provider === undefined) throw new Error('no provider');
    await store.revokeToken('gone', T + 3600);
    await expect(registry.authenticate(provider, await idp.token({ jti: 'gone' }, { now: NOW_MS }))).rejects.toMatchObject({ status: 401, message: 'token revoked' });
    await expect(registry.authenticate(provider, await idp.token({ jti: 'kept' }, { now: NOW_MS }))).resolves.toMatchObject({ tokenId: 'kept' });
    // No revokedAllAt in this store: a token without iat is not taken for one issued before a revoke-all.
    await expect(registry.authenticate(provider, await idp.token({ jti: undefined, iat: undefined }, { now: NOW_MS }))).resolves.toMatchObject({ id: 'oidc:user-1' });
    expect(store.asked).toEqual(['gone', 'kept']);
  });

  it('a revoke-all ends tokens issued up to its second, and those without iat; later ones live', async () => {
    const store = new MemoryRevocationStore({ now: () => NOW_MS });
    const registry = issuers([{}], { revocations: store });
    const provider = registry.issuerOf(await idp.token());
    if (provider === undefined) throw new Error('no provider');
    const at = async (iat: number | undefined) => registry.authenticate(provider, await idp.token({ iat, exp: T + 3600 }, { now: NOW_MS }));
    await expect(at(undefined)).resolves.toBeDefined();
    await expect(at(T)).resolves.toBeDefined();
    await store.nextGeneration();
    expect(await store.revokedAllAt()).toBe(T);
    for (const iat of [undefined, T - 100, T]) await expect(at(iat), String(iat)).rejects.toMatchObject({ status: 401, message: 'token revoked' });
    await expect(at(T + 1)).resolves.toBeDefined();
  });
});

describe('ExternalIssuers.forRevocation', () => {
  it('a valid token with a jti: its id and expiry', async () => {
    const registry = issuers();
    const token = await idp.token({ jti: 'j-9', exp: T + 120 }, { now: NOW_MS });
    const provider = registry.issuerOf(token);
    if (provider === undefined) throw new Error('no provider');
    await expect(registry.forRevocation(provider, token)).resolves.toStrictEqual({ tokenId: 'j-9', expiresAt: T + 120 });
  });

  it('expired, invalid or without a jti: 400 saying which; an outage stays 503', async () => {
    const registry = issuers();
    const provider = registry.issuerOf(await idp.token());
    if (provider === undefined) throw new Error('no provider');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: T - 60 }, 'that token has expired already; nothing to revoke'],
      [{ aud: 'https://other.example' }, 'that is not a valid token of a configured identity provider'],
      [{ jti: undefined }, 'that token has no jti, so it cannot be revoked here; revoke it at its identity provider'],
    ];
    for (const [claims, message] of cases) {
      const error = await refusal(registry.forRevocation(provider, await idp.token(claims, { now: NOW_MS })));
      expect(error, message).toBeInstanceOf(BadRequestError);
      expect(error, message).toMatchObject({ status: 400, message });
    }
    const fresh = issuers();
    const token = await idp.token({}, { now: NOW_MS });
    await idp.close();
    await expect(fresh.forRevocation(fresh.issuerOf(token) ?? provider, token)).rejects.toBeInstanceOf(IdentityProviderUnavailableError);
  });
});
