import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawResponse } from '@agent-gateway/conformance';
import { Client, SdkHttpError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectClient, ERAS, MOUNTS, startMcpGateway, type McpGateway } from './support/mcp-fixture.js';

/** A 2025-era `initialize`, as a client sends it first. */
const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

function postMcp(url: URL, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(url.href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: INITIALIZE,
  });
}

describe.each(MOUNTS)('MCP auth and DNS-rebinding protection, served by %s', (mount) => {
  let served: McpGateway;
  let metadataUrl: string;
  beforeAll(async () => {
    served = await startMcpGateway(mount);
    metadataUrl = `${served.baseUrl}/.well-known/oauth-protected-resource`;
  });
  afterAll(async () => {
    await served?.close();
  });

  it('answers no token with 401 and a challenge naming the protected-resource metadata', async () => {
    const response = await postMcp(served.mcpUrl);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(`Bearer resource_metadata="${metadataUrl}"`);
    expect(response.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('answers a bad token with 401, error="invalid_token" and the metadata URL', async () => {
    for (const authorization of ['Bearer not.a.token', 'Basic dXNlcjpwYXNz']) {
      const response = await postMcp(served.mcpUrl, { authorization });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(`Bearer error="invalid_token", resource_metadata="${metadataUrl}"`);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_token' } });
    }
  });

  it('serves RFC 9728 metadata at the root and path-aware, naming the resource and its authorization servers', async () => {
    for (const url of [metadataUrl, `${metadataUrl}/mcp`]) {
      const response = await rawRequest(url, { method: 'GET' });
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({
        resource: served.mcpUrl.href,
        authorization_servers: expect.any(Array),
        bearer_methods_supported: ['header'],
        resource_name: 'Intelli Agent Gateway',
      });
    }
  });

  it.each(ERAS)('the SDK %s client without a token fails to connect with an HTTP 401', async (era) => {
    const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : {};
    const client = new Client({ name: 'no-token', version: '1' }, options);
    const error = await client.connect(new StreamableHTTPClientTransport(served.mcpUrl)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SdkHttpError);
    expect((error as SdkHttpError).status).toBe(401);
  });

  it('refuses a Host from elsewhere with the SDK\'s 403 JSON-RPC error before looking at the token', async () => {
    const response = await postMcp(served.mcpUrl, { host: 'rebound.example:80', authorization: `Bearer ${served.tokens.agent}` });
    expect(response.status).toBe(403);
    expect(response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32000, message: 'Invalid Host: rebound.example' }, id: null });
  });

  it('refuses an Origin from elsewhere, and lets a local one through to authentication', async () => {
    const foreign = await postMcp(served.mcpUrl, { origin: 'https://attacker.example', authorization: `Bearer ${served.tokens.agent}` });
    expect(foreign.status).toBe(403);
    expect(foreign.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: 'Invalid Origin: attacker.example' } });
    expect((await postMcp(served.mcpUrl, { origin: 'http://localhost:5173' })).status).toBe(401);
    const local = await postMcp(served.mcpUrl, { origin: 'http://127.0.0.1:5173', authorization: `Bearer ${served.tokens.agent}` });
    expect(local.status).toBe(200);
  });

  it('keeps serving a real client after all of that', async () => {
    const client = await connectClient(served.mcpUrl, served.tokens.agent, 'modern');
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});

describe('MCP endpoint options: a public resource URL and hosts', () => {
  let served: McpGateway;
  beforeAll(async () => {
    served = await startMcpGateway('node', { resourceUrl: 'https://gateway.example.com/mcp', allowedOrigins: ['app.example.com'] });
  });
  afterAll(async () => {
    await served?.close();
  });

  it('names the configured resource, and points the challenge at its origin', async () => {
    const metadata = await rawRequest(`${served.baseUrl}/.well-known/oauth-protected-resource`, { method: 'GET' });
    expect(metadata.json()).toMatchObject({ resource: 'https://gateway.example.com/mcp' });
    const challenge = await postMcp(served.mcpUrl);
    expect(challenge.headers['www-authenticate']).toBe('Bearer resource_metadata="https://gateway.example.com/.well-known/oauth-protected-resource"');
  });

  it("accepts the resource URL's host beside loopback, and only the origins listed", async () => {
    expect((await postMcp(served.mcpUrl, { host: 'gateway.example.com' })).status).toBe(401);
    expect((await postMcp(served.mcpUrl, { host: 'other.example.com' })).status).toBe(403);
    expect((await postMcp(served.mcpUrl, { origin: 'https://app.example.com' })).status).toBe(401);
    expect((await postMcp(served.mcpUrl, { origin: 'http://localhost:3000' })).status).toBe(403);
  });
});

describe('MCP endpoint options: checks turned off', () => {
  let served: McpGateway;
  beforeAll(async () => {
    served = await startMcpGateway('node', { allowedHosts: false, allowedOrigins: false });
  });
  afterAll(async () => {
    await served?.close();
  });

  it('lets any Host and Origin reach authentication (for a proxy that checks them itself)', async () => {
    expect((await postMcp(served.mcpUrl, { host: 'anything.example', origin: 'https://elsewhere.example' })).status).toBe(401);
  });
});
