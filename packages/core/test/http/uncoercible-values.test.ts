import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger } from '../../src/index.js';
import { getJson, listenOnLoopback, postJson, type RawResponse, type RunningServer } from '@agent-gateway/conformance';

/**
 * Found by the property suite (issue 14): zod 4 runs a string's or array's length checks on any
 * value that has a `length`, and compares it with a number. `{"length":{"toString":null}}` cannot
 * be turned into a number, so zod threw a TypeError from inside `safeParse`: a 500 for bad input.
 */
const UNCOERCIBLE = { length: { toString: null } };

describe('values zod cannot coerce are refused as bad input, not a 500', () => {
  const gateway = new Gateway({
    logger: silentLogger,
    auth: { signingKey: { algorithm: 'HS256', secret: 'uncoercible-values-test-secret-32-bytes!' }, passwordHashing: { logN: 10, r: 8, p: 1 } },
  });
  gateway.registerTool({
    name: 'note',
    description: 'Takes a short title',
    args: z.object({ title: z.string().max(20) }),
    run: ({ title }) => ({ title }),
  });
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    server = await listenOnLoopback(gateway.nodeListener());
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: { kind: 'system', id: 'test' } });
    const login = await postJson(`${server.baseUrl}/admin/login`, { username: 'agent', password: 'agent-password' });
    token = login.json<{ token: string }>().token;
  });
  afterAll(async () => {
    await server.close();
    await gateway.close();
  });

  const expectClientError = (response: RawResponse, status: number, code: string) => {
    expect(response.status, response.text).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json<{ error: { code: string } }>().error.code).toBe(code);
  };

  it('in a route body checked by a string length (POST /admin/login)', async () => {
    const response = await postJson(`${server.baseUrl}/admin/login`, { username: UNCOERCIBLE, password: 'x' });
    expectClientError(response, 400, 'bad_request');
    expect((await getJson(`${server.baseUrl}/health`)).status).toBe(200);
  });

  it("in a tool's args, over HTTP (422) and in process (InvalidArgsError)", async () => {
    const call = await postJson(`${server.baseUrl}/tools/call`, { tool: 'note', args: { title: UNCOERCIBLE } }, token);
    expectClientError(call, 422, 'invalid_args');
    const validate = await postJson(`${server.baseUrl}/validate`, { tool: 'note', args: { title: UNCOERCIBLE } });
    expect(validate.status, validate.text).toBe(200);
    // zod's own issue, with its path, and not the bogus "too big" a stand-in value would add.
    expect(validate.json()).toEqual({ valid: false, tool: 'note', issues: [{ path: 'title', message: expect.stringMatching(/expected string/) }] });
    await expect(gateway.callTool({ tool: 'note', args: { title: UNCOERCIBLE } })).rejects.toMatchObject({ status: 422, code: 'invalid_args' });
  });

  it('still lets a GatewayError thrown on purpose by a transform through unchanged', async () => {
    const call = await postJson(`${server.baseUrl}/tools/call`, { tool: 'note', args: { title: 'x' }, origin: 'ftp://example.com' }, token);
    expectClientError(call, 400, 'bad_request');
    expect(call.json<{ error: { message: string } }>().error.message).toMatch(/http:\/\/ or https:\/\//);
  });
});
