import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditLog, Gateway, silentLogger, systemCaller, type AuditEntry } from '@agent-gateway/core';
import { listenOnLoopback, login, rawRequest, type RunningServer } from '@agent-gateway/conformance';
import { connectClient, ERAS, textOf } from './support/mcp-fixture.js';
import { LocalIdentityProvider } from './support/identity-provider.js';
import { mcpPlugin } from '../src/index.js';

/** The endpoint's public URL and the audience the provider issues tokens for. */
const RESOURCE = 'https://gateway.test/mcp';

describe('an MCP client signed in through an external identity provider', () => {
  let provider: LocalIdentityProvider;
  let gateway: Gateway;
  let server: RunningServer;
  let dir: string;
  let mcpUrl: URL;

  beforeAll(async () => {
    provider = await LocalIdentityProvider.start();
    dir = await mkdtemp(join(tmpdir(), 'mcp-oidc-'));
    gateway = new Gateway({
      logger: silentLogger,
      audit: await AuditLog.open(join(dir, 'audit.log')),
      plugins: [mcpPlugin({ resourceUrl: RESOURCE })],
      auth: {
        passwordHashing: { logN: 10, r: 8, p: 1 },
        externalIssuers: [{ issuer: provider.issuer, audience: RESOURCE, jwksUri: `${provider.issuer}/jwks` }],
      },
    });
    gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
    await gateway.auth.createUser({ username: 'local', password: 'local-password', role: 'agent' }, { actor: systemCaller('test') });
    server = await listenOnLoopback(gateway.nodeListener());
    mcpUrl = new URL(`${server.baseUrl}/mcp`);
  });
  afterAll(async () => {
    await server?.close();
    await gateway?.close();
    await provider?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the provider in the protected-resource metadata, and the resource its tokens are for', async () => {
    const metadata = await rawRequest(`${server.baseUrl}/.well-known/oauth-protected-resource`, { method: 'GET' });
    expect(metadata.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [provider.issuer] });
  });

  it.each(ERAS)("the %s client lists and calls with the provider's access token; the audit log names the caller", async (era) => {
    const client = await connectClient(mcpUrl, await provider.token(RESOURCE, { sub: `ada-${era}` }), era);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['echo']);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: era } }))).toBe(`{"text":"${era}"}`);
    await client.close();
    const entries = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.filter((entry) => entry.event === 'tool_call').at(-1)).toMatchObject({ actor: { user: `oidc:ada-${era}`, role: 'agent' }, details: { via: 'mcp' } });
  });

  it("the gateway's own tokens from /admin/login keep working beside the provider's", async () => {
    const session = await login(server.baseUrl, { username: 'local', password: 'local-password' });
    const client = await connectClient(mcpUrl, session.token, 'modern');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'local' } }))).toBe('{"text":"local"}');
    await client.close();
  });

  it('refuses a provider token for another audience with the 401 challenge', async () => {
    const token = await provider.token('https://elsewhere.test/mcp');
    const response = await rawRequest(mcpUrl.href, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token", resource_metadata="https://gateway.test/.well-known/oauth-protected-resource"');
  });
});
