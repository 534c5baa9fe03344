import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { rawRequest } from '@agent-gateway/conformance';
import { GatewayError, InvalidTokenError, UnauthorizedError } from '@agent-gateway/core';
import type { GatewayRequest } from '@agent-gateway/core/http';
import { dnsRebindingRefusal } from '../src/host-guard.js';
import type { ResolvedOptions } from '../src/options.js';
import { publicOrigin, resourceOf, unauthorizedResponse } from '../src/resource-metadata.js';
import { startMcpGateway } from './support/mcp-fixture.js';

/** The pure checks in front of the MCP endpoint, each alone: DNS rebinding, then the 401 challenge. */
const options = (overrides: Partial<ResolvedOptions> = {}): ResolvedOptions => ({
  path: '/mcp',
  resourceUrl: undefined,
  allowedHosts: ['localhost', '127.0.0.1'],
  allowedOrigins: ['localhost', '127.0.0.1'],
  approvalWaitMs: 60_000,
  progressIntervalMs: 10_000,
  legacyClients: false,
  ...overrides,
});

const request = (headers: GatewayRequest['headers']): GatewayRequest => ({ method: 'POST', url: '/mcp', headers, body: { kind: 'none' } });

describe('dnsRebindingRefusal', () => {
  it('lets a listed host and origin through, and refuses any other host or origin with 403', () => {
    expect(dnsRebindingRefusal(options(), request({ host: 'localhost', origin: 'http://localhost:8080' }))).toBeUndefined();
    expect(dnsRebindingRefusal(options(), request({ host: '127.0.0.1:8080' }))).toBeUndefined();
    expect(dnsRebindingRefusal(options(), request({ host: 'evil.example' }))?.status).toBe(403);
    expect(dnsRebindingRefusal(options(), request({ host: 'localhost', origin: 'http://evil.example' }))?.status).toBe(403);
  });

  it('checks hosts when only origins are switched off, and origins when only hosts are', () => {
    const hostsOnly = options({ allowedOrigins: false });
    expect(dnsRebindingRefusal(hostsOnly, request({ host: 'evil.example', origin: 'http://localhost:8080' }))?.status).toBe(403);
    expect(dnsRebindingRefusal(hostsOnly, request({ host: 'localhost', origin: 'http://evil.example' }))).toBeUndefined();
    const originsOnly = options({ allowedHosts: false });
    expect(dnsRebindingRefusal(originsOnly, request({ host: 'localhost', origin: 'http://evil.example' }))?.status).toBe(403);
    expect(dnsRebindingRefusal(originsOnly, request({ host: 'evil.example', origin: 'http://localhost:8080' }))).toBeUndefined();
    expect(dnsRebindingRefusal(options({ allowedHosts: false, allowedOrigins: false }), request({ host: 'evil.example', origin: 'http://evil.example' }))).toBeUndefined();
  });

  it('reads the first of repeated headers, and refuses a value Headers will not hold as no host at all', () => {
    expect(dnsRebindingRefusal(options(), request({ host: ['localhost', 'evil.example'] }))).toBeUndefined();
    expect(dnsRebindingRefusal(options(), request({ host: ['evil.example', 'localhost'] }))?.status).toBe(403);
    expect(dnsRebindingRefusal(options(), request({ host: 'local\nhost' }))?.status).toBe(403);
    expect(dnsRebindingRefusal(options({ allowedHosts: false }), request({ host: 'localhost', origin: 'http://localhost:8080\u0000' }))?.status).toBe(403);
  });
});

describe('unauthorizedResponse', () => {
  it('answers a 401 with the challenge naming the metadata document, with invalid_token only when a token was sent', () => {
    const withoutToken = unauthorizedResponse(new UnauthorizedError('a bearer token is required'), options(), request({ host: 'localhost:8080' }));
    expect(withoutToken).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"' } });
    const withToken = unauthorizedResponse(new InvalidTokenError(), options(), request({ host: 'localhost:8080', authorization: 'Bearer x' }));
    expect(withToken).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token", resource_metadata="http://localhost:8080/.well-known/oauth-protected-resource"' },
    });
  });

  it('is no challenge for any other failure: a 503 of the token store, a 403, a plain error', () => {
    for (const error of [new GatewayError('state_unavailable', 'down'), new GatewayError('forbidden', 'no'), new Error('bug'), { status: 401 }]) {
      expect(unauthorizedResponse(error, options(), request({ host: 'localhost' }))).toBeUndefined();
    }
  });

  it('names the configured resource URL, else the Host, else loopback', () => {
    const configured = options({ resourceUrl: new URL('https://gw.example/tools/mcp') });
    expect(publicOrigin(configured, request({ host: 'localhost' }))).toBe('https://gw.example');
    expect(resourceOf(configured, request({}))).toBe('https://gw.example/tools/mcp');
    expect(publicOrigin(options(), request({ host: 'localhost:8080' }))).toBe('http://localhost:8080');
    expect(resourceOf(options(), request({ host: 'localhost:8080' }))).toBe('http://localhost:8080/mcp');
    expect(publicOrigin(options(), request({}))).toBe('http://127.0.0.1');
    expect(publicOrigin(options(), request({ host: 'bad host/' }))).toBe('http://127.0.0.1');
  });
});

describe('the endpoint when the token cannot be checked', () => {
  it('answers the token store being down as 503, never as a 401 challenge or a pass', async () => {
    const served = await startMcpGateway('node');
    onTestFinished(() => served.close());
    vi.spyOn(served.gateway.auth, 'authenticateHeader').mockRejectedValueOnce(new GatewayError('state_unavailable', 'the user store is not answering'));
    const response = await rawRequest(served.mcpUrl.href, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${served.tokens.agent}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers['www-authenticate']).toBeUndefined();
    expect(response.json()).toMatchObject({ error: { code: 'state_unavailable' } });
  });
});
