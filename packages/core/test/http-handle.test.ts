import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller, type GatewayRequest } from '../src/index.js';
import { assertSafeJsonValue, defineRoute, jsonResponse } from '../src/http/public.js';
import { RouteTable } from '../src/http/route-table.js';

function jsonRequest(url: string, text: string, token?: string): GatewayRequest {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: {
      kind: 'stream',
      stream: (async function* () {
        yield Buffer.from(text);
      })(),
    },
  };
}

describe('gateway.handle (framework-free)', () => {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } }).registerTool({
    name: 'echo',
    description: 'echo',
    args: z.object({ text: z.unknown() }),
    run: ({ text }) => ({ text }),
  });
  let token = '';
  beforeAll(async () => {
    await gateway.auth.createUser({ username: 'a', password: 'password-a', role: 'agent' }, { actor: systemCaller('test') });
    token = (await gateway.auth.login('a', 'password-a', { address: 'test' })).accessToken;
  });

  it('serves a route without any HTTP server', async () => {
    const response = await gateway.handle(jsonRequest('/tools/call', '{"tool":"echo","args":{"text":"hi"}}', token));
    expect(response && 'body' in response && JSON.parse(response.body)).toMatchObject({ result: { text: 'hi' } });
  });

  it('answers nesting as deep as a 1 MiB body allows with 400, not a stack overflow', async () => {
    const depth = 500_000;
    const text = `{"tool":"echo","args":{"text":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    const response = await gateway.handle(jsonRequest('/tools/call', text, token));
    expect(response?.status).toBe(400);
    expect(response && 'body' in response && JSON.parse(response.body)).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it("passes an unmatched request back to the adapter when asked ('pass')", async () => {
    const request: GatewayRequest = { method: 'GET', url: '/elsewhere', headers: {}, body: { kind: 'none' } };
    await expect(gateway.handle(request, { unmatched: 'pass' })).resolves.toBeUndefined();
    await expect(gateway.handle(request)).resolves.toMatchObject({ status: 404 });
  });

  it('a parsed body from the host goes through the same checks', async () => {
    const parsed = JSON.parse('{"tool":"echo","args":{"text":{"__proto__":{"x":1}}}}') as unknown;
    const response = await gateway.handle({
      method: 'POST',
      url: '/tools/call',
      headers: { authorization: `Bearer ${token}` },
      body: { kind: 'parsed', value: parsed },
    });
    expect(response?.status).toBe(400);
  });
});

describe('assertSafeJsonValue', () => {
  it('allows exactly the maximum depth and refuses one more', () => {
    const nest = (levels: number): unknown => {
      let value: unknown = 0;
      for (let i = 0; i < levels; i += 1) value = [value];
      return value;
    };
    expect(() => assertSafeJsonValue(nest(64))).not.toThrow();
    expect(() => assertSafeJsonValue(nest(65))).toThrow(/deeper than 64/);
  });
});

describe('RouteTable', () => {
  const route = (method: 'GET' | 'POST', path: string) =>
    defineRoute({ method, path, summary: path, auth: 'none', handle: ({ params }) => jsonResponse(200, params) });

  it('matches path params and decodes them', () => {
    const table = new RouteTable([route('GET', '/approvals/:id'), route('POST', '/approvals/:id/approve')]);
    const match = table.match('GET', '/approvals/a%20b');
    expect(match).toMatchObject({ kind: 'route', params: { id: 'a b' } });
    expect(table.match('POST', '/approvals/42/approve')).toMatchObject({ kind: 'route', params: { id: '42' } });
    expect(table.match('GET', '/approvals/42/approve')).toMatchObject({ kind: 'method-not-allowed' });
    expect(table.match('GET', '/approvals/')).toEqual({ kind: 'none' });
  });

  it('refuses malformed percent-encoding with 400', () => {
    const table = new RouteTable([route('GET', '/approvals/:id')]);
    expect(() => table.match('GET', '/approvals/%E0%A4%A')).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('refuses a duplicate route at construction', () => {
    expect(() => new RouteTable([route('GET', '/a'), route('GET', '/a')])).toThrow(/duplicate route GET \/a/);
  });

  it('validates a query schema with a 400 naming the parameter', async () => {
    const gateway = new Gateway({ logger: silentLogger });
    const table = new RouteTable([
      defineRoute({
        method: 'GET',
        path: '/q',
        summary: 'q',
        auth: 'none',
        query: z.object({ tail: z.coerce.number().int().min(1).max(10) }),
        handle: ({ query }) => jsonResponse(200, query),
      }),
    ]);
    const match = table.match('GET', '/q');
    if (match.kind !== 'route') throw new Error('no match');
    const run = (search: string) =>
      match.route.run({
        services: gateway,
        routes: table.routes,
        request: { method: 'GET', url: `/q?${search}`, headers: {}, body: { kind: 'none' } },
        params: {},
        searchParams: new URLSearchParams(search),
        signal: new AbortController().signal,
      });
    await expect(run('tail=5')).resolves.toMatchObject({ status: 200, body: '{"tail":5}' });
    await expect(run('tail=50')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^invalid query: tail: /) });
  });
});
