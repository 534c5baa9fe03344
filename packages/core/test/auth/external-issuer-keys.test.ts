import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExternalIssuer, type ExternalIssuerContext, type ExternalIssuerOptions } from '../../src/auth/external-issuer.js';
import { IdentityProviderUnavailableError, InvalidTokenError } from '../../src/errors/index.js';
import { silentLogger } from '../../src/index.js';
import { loopbackServer, settledWithin } from './support/loopback-server.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

let idp: TestIdentityProvider;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  idp = await TestIdentityProvider.start();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(cleanups.splice(0).map((close) => close()));
  await idp.close();
});

function issuer(options: Partial<ExternalIssuerOptions> = {}, context: ExternalIssuerContext = {}): ExternalIssuer {
  return new ExternalIssuer({ issuer: idp.issuer, audience: AUDIENCE, ...options }, context);
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
  expect(error).toMatchObject({ status: 503, code: 'identity_provider_unavailable', headers: { 'retry-after': '5' } });
}

/** A server answering every request with `status` and `body`, as a broken provider would. */
async function brokenProvider(status: number, body: string): Promise<string> {
  const server = await loopbackServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body);
  });
  cleanups.push(server.close);
  return server.url;
}

describe('finding the key set', () => {
  it("discovers it from the issuer's document once, for tokens verified at the same time too", async () => {
    const verifier = issuer();
    const tokens = await Promise.all([idp.token(), idp.token(), idp.token()]);
    await Promise.all(tokens.map((token) => expect(verifier.verify(token)).resolves.toBeDefined()));
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    expect(idp.hits).toEqual({ discovery: 1, jwks: 1 });
  });

  it('a configured jwksUri is used as it is, without discovery', async () => {
    idp.discovery = { issuer: 'https://evil.example', jwks_uri: 'https://evil.example/jwks' };
    await expect(issuer({ jwksUri: idp.jwksUri }).verify(await idp.token())).resolves.toBeDefined();
    expect(idp.hits).toEqual({ discovery: 0, jwks: 1 });
  });

  it('a failed discovery is not kept: the next token tries again', async () => {
    const verifier = issuer();
    idp.discovery = { issuer: 'https://evil.example', jwks_uri: idp.jwksUri };
    await expectUnavailable(verifier.verify(await idp.token()));
    idp.discovery = undefined;
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    expect(idp.hits).toEqual({ discovery: 2, jwks: 1 });
  });
});

describe('an unknown kid', () => {
  it('is the token\'s fault (401) and, within the cooldown, does not fetch the key set again', async () => {
    const verifier = issuer({ jwksUri: idp.jwksUri });
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    await idp.publishKey('key-2');
    for (let i = 0; i < 3; i += 1) {
      const error = await refusal(verifier.verify(await idp.token({}, { kid: 'key-2' })));
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error).toMatchObject({ status: 401, message: 'invalid token' });
    }
    expect(idp.hits.jwks).toBe(1);
  });

  it('fetches the key set again at once with a cooldown of 0', async () => {
    const verifier = issuer({ jwksUri: idp.jwksUri, jwks: { cooldownMs: 0 } });
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    await idp.publishKey('key-2');
    await expect(verifier.verify(await idp.token({}, { kid: 'key-2' }))).resolves.toBeDefined();
    expect(idp.hits.jwks).toBe(2);
  });

  it('a key set is fetched again once older than cacheMaxAgeMs, even for a known kid', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 5, 1));
    const verifier = issuer({ jwksUri: idp.jwksUri, jwks: { cacheMaxAgeMs: 60_000 } });
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    vi.setSystemTime(Date.now() + 59_000);
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    expect(idp.hits.jwks).toBe(1);
    vi.setSystemTime(Date.now() + 2_000);
    await expect(verifier.verify(await idp.token())).resolves.toBeDefined();
    expect(idp.hits.jwks).toBe(2);
  });
});

describe('a provider that cannot be reached', () => {
  it('is 503, by discovery or by its configured key set, without a logger too', async () => {
    const token = await idp.token();
    const discovered = issuer();
    const configured = issuer({ jwksUri: idp.jwksUri });
    await idp.close();
    await expectUnavailable(discovered.verify(token));
    await expectUnavailable(configured.verify(token));
  });

  it('a key set answering an error or not JSON is 503', async () => {
    for (const [status, body] of [[500, '{}'], [200, 'not json'], [200, '{"keys": "none"}']] as const) {
      await expectUnavailable(issuer({ jwksUri: `${await brokenProvider(status, body)}/jwks` }).verify(await idp.token()));
    }
  });

  it('gives up after timeoutMs, for discovery and for the key set', async () => {
    const hanging = await loopbackServer(() => {});
    cleanups.push(hanging.close);
    // The default is 5 s: well past this bound.
    const bound = 4000;
    const timeout = { jwks: { timeoutMs: 200 } };
    const token = await idp.token();
    const discovering = new ExternalIssuer({ issuer: hanging.url, audience: AUDIENCE, ...timeout }).verify(token);
    const fetching = issuer({ jwksUri: `${hanging.url}/jwks`, ...timeout }).verify(token);
    for (const outcome of await Promise.all([settledWithin(discovering, bound), settledWithin(fetching, bound)])) {
      expect(outcome).not.toBe('still pending');
      expect(outcome).toMatchObject({ error: { status: 503 } });
    }
  });
});

describe("logging a provider's outage", () => {
  it('warns once per 30 s with the issuer and the cause, never the token; a bad token is not an outage', async () => {
    let now = Date.now();
    const warnings: Array<{ message: string; fields: unknown }> = [];
    const logger = { ...silentLogger, warn: (message: string, fields?: unknown) => warnings.push({ message, fields }) };
    const verifier = issuer({}, { now: () => now, logger });
    await expectInvalid401(verifier.verify('not.a.jwt'));
    const token = await idp.token({}, { now });
    await idp.close();
    await expectUnavailable(verifier.verify(token));
    expect(warnings).toEqual([
      { message: "cannot fetch the identity provider's keys; its tokens are answered 503 until it answers", fields: { issuer: idp.issuer, error: expect.any(Error) } },
    ]);
    expect(JSON.stringify(warnings)).not.toContain(token);
    now += 29_999;
    await expectUnavailable(verifier.verify(token));
    expect(warnings).toHaveLength(1);
    now += 1;
    await expectUnavailable(verifier.verify(token));
    expect(warnings).toHaveLength(2);
    now += 1;
    await expectUnavailable(verifier.verify(token));
    expect(warnings).toHaveLength(2);
  });

  it('a token refused while the provider is up logs nothing', async () => {
    const warnings: string[] = [];
    const verifier = issuer({}, { logger: { ...silentLogger, warn: (message: string) => warnings.push(message) } });
    await expectInvalid401(verifier.verify(await idp.token({ aud: 'https://other.example' })));
    await expectInvalid401(verifier.verify(await idp.token({}, { kid: (await idp.publishKey('held-back', 'ES256', false)).kid })));
    expect(warnings).toEqual([]);
  });
});

async function expectInvalid401(promise: Promise<unknown>): Promise<void> {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ status: 401 });
}
