import { getJson, listenOnLoopback, postJson } from '@agent-gateway/conformance';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger } from '../../src/index.js';
import { AUDIENCE, TestIdentityProvider } from './support/test-identity-provider.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

let idp: TestIdentityProvider;
let gateway: Gateway;
let baseUrl: string;
let close: () => Promise<void>;

beforeEach(async () => {
  idp = await TestIdentityProvider.start();
  gateway = new Gateway({
    logger: silentLogger,
    workerPool: noPool,
    auth: { passwordHashing: { logN: 10, r: 8, p: 1 }, externalIssuers: [{ issuer: idp.issuer, audience: AUDIENCE, toolsClaim: 'tools' }] },
  });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: (args) => ({ echoed: args.text }) });
  gateway.registerTool({ name: 'other', description: 'other', args: z.object({}), run: () => 'ran' });
  ({ baseUrl, close } = await listenOnLoopback(gateway.nodeListener()));
});
afterEach(async () => {
  await close();
  await gateway.close();
  await idp.close();
});

describe('an identity provider token over HTTP', () => {
  it('calls a tool on /tools/call with its role and allow-list', async () => {
    const token = await idp.token({ sub: 'alice', tools: ['echo'] });
    const ok = await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'hi' } }, token);
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ tool: 'echo', result: { echoed: 'hi' } });
    const outside = await postJson(`${baseUrl}/tools/call`, { tool: 'other', args: {} }, token);
    expect(outside.status).toBe(403);
    expect(outside.json()).toMatchObject({ error: { code: 'tool_not_allowed' } });
  });

  it('reaches admin routes by its role only', async () => {
    const admin = await idp.token({ sub: 'root', agent_gateway_role: 'admin' });
    const agent = await idp.token({ sub: 'bot', agent_gateway_role: 'agent' });
    expect((await getJson(`${baseUrl}/admin/users`, admin)).status).toBe(200);
    const refused = await getJson(`${baseUrl}/admin/users`, agent);
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('answers 503 identity_provider_unavailable while the provider cannot be reached, ', async () => {
    const good = await idp.token({ tools: ['echo'] });
    await idp.close();
    const down = await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'x' } }, good);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(down.json()).toMatchObject({ error: { code: 'identity_provider_unavailable' } });
    expect(down.text).not.toContain(good);
  });

  it('answers a bad token 401 invalid_token with WWW-Authenticate, and one without a role 403', async () => {
    const forged = await idp.token({ aud: 'https://elsewhere.example' });
    const bad = await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'x' } }, forged);
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_token' } });
    expect(bad.text).not.toContain(forged);

    const roleless = await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'x' } }, await idp.token({ agent_gateway_role: undefined }));
    expect(roleless.status).toBe(403);
    // The keys are cached now: the provider going away does not stop tokens it signed.
    const good = await idp.token({ tools: ['echo'] });
    await idp.close();
    expect((await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'x' } }, good)).status).toBe(200);
  });

  it('an admin revokes a provider token by itself; it is refused from then on', async () => {
    const admin = await idp.token({ sub: 'root', agent_gateway_role: 'admin', jti: 'root-1' });
    const agent = await idp.token({ sub: 'bot', jti: 'bot-1', tools: ['echo'] });
    const revoked = await postJson(`${baseUrl}/admin/revoke`, { token: agent }, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.json()).toEqual({ revoked: 'token', jti: 'bot-1' });
    expect((await postJson(`${baseUrl}/tools/call`, { tool: 'echo', args: { text: 'x' } }, agent)).status).toBe(401);
  });
});
