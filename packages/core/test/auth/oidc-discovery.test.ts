import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { discoverJwksUri, isHttpsOrLoopback } from '../../src/auth/oidc-discovery.js';
import { IdentityProviderUnavailableError } from '../../src/index.js';

/** A loopback server answering the discovery path with `answer`; anything else (or a wrong accept header) is a 404/406. */
async function provider(answer: (issuer: string, response: ServerResponse) => void): Promise<string> {
  let issuer = '';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url !== '/.well-known/openid-configuration') return void response.writeHead(404).end('{}');
    if (request.headers.accept !== 'application/json') return void response.writeHead(406).end('{}');
    answer(issuer, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  onTestFinished(() => server.closeAllConnections());
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return issuer;
}

function json(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** The reason discovery failed, from the 503's cause. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
  const cause = (error as Error).cause;
  return cause instanceof Error ? cause.message : String(cause);
}

describe('isHttpsOrLoopback', () => {
  it('https anywhere; plain http only on loopback; nothing else', () => {
    expect(isHttpsOrLoopback(new URL('https://idp.example.com/jwks'))).toBe(true);
    expect(isHttpsOrLoopback(new URL('https://127.0.0.1/jwks'))).toBe(true);
    for (const host of ['localhost', '127.0.0.1', '[::1]']) expect(isHttpsOrLoopback(new URL(`http://${host}:8080/jwks`))).toBe(true);
    for (const url of ['http://idp.example.com/jwks', 'http://127.0.0.2/jwks', 'http://localhost.example.com/jwks', 'ftp://localhost/jwks', 'file:///jwks']) {
      expect(isHttpsOrLoopback(new URL(url))).toBe(false);
    }
  });
});

describe('discoverJwksUri', () => {
  it('returns the jwks_uri of a document naming the same issuer, asking for JSON', async () => {
    const issuer = await provider((iss, response) => json(response, { issuer: iss, jwks_uri: 'https://keys.example.com/jwks.json', extra: 1 }));
    const uri = await discoverJwksUri(issuer, 5_000);
    expect(uri).toBeInstanceOf(URL);
    expect(uri.href).toBe('https://keys.example.com/jwks.json');
  });

  it('strips trailing slashes from the issuer to find the document, yet the document must name the issuer exactly as given', async () => {
    const issuer = await provider((iss, response) => json(response, { issuer: `${iss}//`, jwks_uri: `${iss}/jwks` }));
    await expect(discoverJwksUri(`${issuer}//`, 5_000)).resolves.toEqual(new URL(`${issuer}/jwks`));
    expect(await failure(discoverJwksUri(issuer, 5_000))).toBe(
      `the discovery document at ${issuer}/.well-known/openid-configuration does not name the issuer ${issuer} and a jwks_uri`,
    );
  });

  it('refuses an answer other than 200, a redirect included', async () => {
    const missing = await provider((_iss, response) => json(response, {}, 404));
    expect(await failure(discoverJwksUri(missing, 5_000))).toBe('the discovery document answered 404');
    const created = await provider((iss, response) => json(response, { issuer: iss, jwks_uri: `${iss}/jwks` }, 201));
    expect(await failure(discoverJwksUri(created, 5_000))).toBe('the discovery document answered 201');
    const target = await provider((iss, response) => json(response, { issuer: iss, jwks_uri: `${iss}/jwks` }));
    const redirecting = await provider((_iss, response) => response.writeHead(302, { location: `${target}/.well-known/openid-configuration` }).end());
    expect(await failure(discoverJwksUri(redirecting, 5_000))).toMatch(/answered 302|redirect/);
  });

  it('takes a document of up to 512 KiB and refuses a larger one', async () => {
    const LIMIT = 512 * 1024;
    const sized = (iss: string, size: number): string => {
      const base = JSON.stringify({ issuer: iss, jwks_uri: `${iss}/jwks`, pad: '' });
      return base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
    };
    const atLimit = await provider((iss, response) => json(response, sized(iss, LIMIT)));
    await expect(discoverJwksUri(atLimit, 5_000)).resolves.toEqual(new URL(`${atLimit}/jwks`));
    const over = await provider((iss, response) => json(response, sized(iss, LIMIT + 1)));
    expect(await failure(discoverJwksUri(over, 5_000))).toBe('the discovery document is too large');
  });

  it('refuses a body that is not JSON, or a document without an issuer or jwks_uri', async () => {
    const notJson = await provider((_iss, response) => json(response, '<html>'));
    expect(await failure(discoverJwksUri(notJson, 5_000))).toMatch(/JSON/);
    const noJwks = await provider((iss, response) => json(response, { issuer: iss }));
    expect(await failure(discoverJwksUri(noJwks, 5_000))).toMatch(/does not name the issuer .* and a jwks_uri/);
    const noIssuer = await provider((iss, response) => json(response, { jwks_uri: `${iss}/jwks` }));
    expect(await failure(discoverJwksUri(noIssuer, 5_000))).toMatch(/does not name the issuer/);
  });

  it('refuses a jwks_uri that is not a URL or is plain http off loopback', async () => {
    for (const jwksUri of ['not a url', 'http://keys.example.com/jwks.json']) {
      const issuer = await provider((iss, response) => json(response, { issuer: iss, jwks_uri: jwksUri }));
      expect(await failure(discoverJwksUri(issuer, 5_000))).toBe(
        `the discovery document at ${issuer}/.well-known/openid-configuration names a jwks_uri that is not https`,
      );
    }
  });

  it('gives up on a provider that does not answer within the timeout', async () => {
    const silent = await provider(() => undefined);
    expect(await failure(discoverJwksUri(silent, 100))).toMatch(/timeout|aborted/i);
  });
});
