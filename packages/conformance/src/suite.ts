import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '@agent-gateway/core';
import { GATEWAY_METRIC_NAMES, RUNBOOK_METRIC_NAMES } from '@agent-gateway/core';
import { describeApprovalsConformance } from './approvals-suite.js';
import { describeAuditConformance } from './audit-suite.js';
import { describeGuardsConformance } from './guards-suite.js';
import { describeSecretsConformance } from './secrets-suite.js';
import { describePluginsConformance } from './plugins-suite.js';
import { describeAuthConformance } from './auth-suite.js';
import { CONFORMANCE_BODY_LIMIT, createConformanceGateway, USERS, type ConformanceGateway, type ToolProbe } from './conformance-gateway.js';
import { login, type Session } from './sessions.js';
import { postJson, rawRequest, type RawResponse } from './http-client.js';

export interface RunningServer {
  /** Where the gateway's routes are, e.g. `http://127.0.0.1:41234` or `.../gateway`. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** How an adapter serves a gateway on a real loopback port. */
export type StartServer = (gateway: Gateway) => Promise<RunningServer>;

export interface ErrorShape {
  error: { code: string; message: string; issues?: Array<{ path: string; message: string }> };
}

/** Every error answer: the one JSON shape, the expected code, nothing that looks like a stack. */
export function expectError(response: RawResponse, status: number, code: string): ErrorShape {
  expect(response.status, response.text).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json<ErrorShape>();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(response.text).not.toMatch(/\bat .+\(.*:\d+:\d+\)|node:internal|\.ts:\d+/);
  return body;
}

/**
 * The HTTP conformance suite: every route case over real HTTP against a server that `start`
 * launches. Each adapter runs it unchanged; a difference between adapters is a failing test.
 */
export function describeConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance: ${name}`, () => {
    let conformance: ConformanceGateway;
    let probe: ToolProbe;
    let server: RunningServer;
    let base: string;
    let agent: Session;
    const url = (path: string): string => `${base}${path}`;
    /** A tool call (or any POST) as the unrestricted agent. */
    const call = (path: string, body: unknown): Promise<RawResponse> => postJson(url(path), body, agent.token);

    beforeAll(async () => {
      conformance = await createConformanceGateway();
      probe = conformance.probe;
      server = await start(conformance.gateway);
      base = server.baseUrl;
      agent = await login(base, USERS.agent);
    });
    afterAll(async () => {
      await server.close();
      await conformance.dispose();
    });

    describe('health and metrics', () => {
      it('GET /health answers {"status":"ok"}', async () => {
        const response = await fetch(url('/health'));
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(await response.json()).toEqual({ status: 'ok' });
      });

      it('HEAD /health answers 200 with no body', async () => {
        const response = await rawRequest(url('/health'), { method: 'HEAD' });
        expect(response.status).toBe(200);
        expect(response.text).toBe('');
      });

      it('GET /health/worker reports a healthy in-process pool', async () => {
        const response = await fetch(url('/health/worker'));
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ worker_healthy: true, pool: { mode: 'in-process', size: 0, alive: 0 } });
      });

      it('GET /metrics lists all twelve runbook metrics (and the gateway\'s own) in Prometheus text format', async () => {
        const response = await fetch(url('/metrics'));
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = await response.text();
        const typed = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]);
        expect(typed.sort()).toEqual([...RUNBOOK_METRIC_NAMES, ...GATEWAY_METRIC_NAMES].sort());
        expect(text).toMatch(/^process_uptime_seconds \d+(\.\d+)?(e[-+]\d+)?$/m);
        expect(text).toMatch(/^worker_healthy 1$/m);
      });
    });

    describe('tools', () => {
      it('GET /openapi.json serves the OpenAPI 3.1 document', async () => {
        const response = await fetch(url('/openapi.json'));
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ openapi: '3.1.0', paths: { '/tools/call': { post: expect.any(Object) } } });
      });

      it('GET /tools lists every tool with the JSON Schema of its args', async () => {
        const response = await fetch(url('/tools'));
        expect(response.status).toBe(200);
        const body = (await response.json()) as { tools: Array<{ name: string; requires_approval: unknown; args_schema: Record<string, unknown> }> };
        expect(body.tools.map((t) => t.name)).toEqual(['echo', 'fail.plain', 'fail.tool', 'form.fill', 'limited', 'math.add', 'plugin.ping', 'record.keys', 'risky']);
        const echo = body.tools.find((t) => t.name === 'echo');
        expect(echo?.args_schema).toMatchObject({
          type: 'object',
          properties: { text: { type: 'string' } },
          required: ['text'],
          additionalProperties: false,
        });
        expect(body.tools.find((t) => t.name === 'risky')?.requires_approval).toBe(true);
      });

      it('POST /tools/call runs the tool and returns its result', async () => {
        const response = await call('/tools/call', { tool: 'echo', args: { text: 'hi' } });
        expect(response.status).toBe(200);
        const body = response.json<{ call_id: string; tool: string; result: unknown }>();
        expect(body.tool).toBe('echo');
        expect(body.result).toEqual({ text: 'hi' });
        expect(body.call_id).toMatch(/^[0-9a-f-]{36}$/);
      });

      it('passes the parsed args (with zod defaults) to the tool', async () => {
        const response = await call('/tools/call', { tool: 'math.add', args: { a: 2 } });
        expect(response.json<{ result: unknown }>().result).toEqual({ sum: 2 });
      });

      it('counts calls and validation errors per tool', async () => {
        await call('/tools/call', { tool: 'math.add', args: { a: 1, b: 2 } });
        await call('/tools/call', { tool: 'math.add', args: { a: 'one' } });
        const text = await (await fetch(url('/metrics'))).text();
        expect(text).toMatch(/^tool_calls_total\{tool="math\.add"\} 3$/m);
        expect(text).toMatch(/^tool_validation_errors_total\{tool="math\.add"\} 1$/m);
        expect(text).toMatch(/^tool_call_duration_seconds_count\{tool="math\.add"\} 3$/m);
      });

      it('unknown tool -> 404 tool_not_found', async () => {
        expectError(await call('/tools/call', { tool: 'nope', args: {} }), 404, 'tool_not_found');
      });

      it('wrong arg types -> 422 with the zod issues as a readable list', async () => {
        const body = expectError(await call('/tools/call', { tool: 'echo', args: { text: 42 } }), 422, 'invalid_args');
        expect(body.error.issues).toEqual([{ path: 'text', message: expect.stringMatching(/expected string/) }]);
        expect(body.error.message).toMatch(/^invalid args for tool "echo": text: /);
      });

      it('unexpected args -> 422 naming the key', async () => {
        const body = expectError(await call('/tools/call', { tool: 'echo', args: { text: 'a', extra: 1 } }), 422, 'invalid_args');
        expect(body.error.message).toMatch(/extra/);
      });

      it('a tool that throws a plain error -> 500 tool_failed, and its message stays on the server', async () => {
        const response = await call('/tools/call', { tool: 'fail.plain', args: {} });
        expectError(response, 500, 'tool_failed');
        expect(response.text).not.toContain('hunter2');
      });

      it('a ToolError reaches the caller with its own status, code and message', async () => {
        const body = expectError(await call('/tools/call', { tool: 'fail.tool', args: {} }), 429, 'quota_reached');
        expect(body.error.message).toBe('quota reached');
      });

      it('a tool that needs approval answers 202 with an approval id, and does not run', async () => {
        const response = await call('/tools/call', { tool: 'risky', args: {} });
        expect(response.status).toBe(202);
        expect(response.json()).toMatchObject({ status: 'pending', approval_id: expect.any(String), expires_at: expect.any(String) });
        expect(probe.approvalToolRuns).toBe(0);
      });

      it('POST /validate checks args without running the tool', async () => {
        const ok = await call('/validate', { tool: 'risky', args: {} });
        expect(ok.status).toBe(200);
        expect(ok.json()).toEqual({ valid: true, tool: 'risky' });
        expect(probe.approvalToolRuns).toBe(0);

        const bad = await call('/validate', { tool: 'echo', args: {} });
        expect(bad.status).toBe(200);
        expect(bad.json()).toEqual({
          valid: false,
          tool: 'echo',
          issues: [{ path: 'text', message: expect.stringMatching(/expected string/) }],
        });
        expectError(await call('/validate', { tool: 'nope', args: {} }), 404, 'tool_not_found');
      });
    });

    describe('bad input', () => {
      it('malformed JSON -> 400 invalid_json, without echoing the body', async () => {
        const response = await call('/tools/call', '{"tool":"echo","args":{"text":"s3cret-in-body"');
        const body = expectError(response, 400, 'invalid_json');
        expect(body.error.message).not.toContain('s3cret');
      });

      it('a body that is not valid UTF-8 -> 400 invalid_json', async () => {
        const bytes = Buffer.concat([Buffer.from('{"tool":"echo","args":{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
        expectError(
          await rawRequest(url('/tools/call'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` }, body: bytes }),
          400,
          'invalid_json',
        );
      });

      it.each([
        ['text/plain', 415],
        ['application/x-www-form-urlencoded', 415],
        ['application/json; charset=latin1', 415],
      ])('content-type %s -> %i', async (contentType, status) => {
        const response = await rawRequest(url('/tools/call'), {
            method: 'POST',
          headers: { 'content-type': contentType, authorization: `Bearer ${agent.token}` },
          body: JSON.stringify({ tool: 'echo', args: { text: 'hi' } }),
        });
        expectError(response, status, 'unsupported_media_type');
      });

      it('no content-type -> 415', async () => {
        const response = await rawRequest(url('/tools/call'), {
          method: 'POST',
          headers: { authorization: `Bearer ${agent.token}` },
          body: '{"tool":"echo"}',
        });
        expectError(response, 415, 'unsupported_media_type');
      });

      it('accepts application/json with charset=utf-8 and +json media types', async () => {
        for (const contentType of ['application/json; charset=UTF-8', 'application/vnd.agent+json']) {
          const response = await rawRequest(url('/tools/call'), {
            method: 'POST',
            headers: { 'content-type': contentType, authorization: `Bearer ${agent.token}` },
            body: JSON.stringify({ tool: 'echo', args: { text: 'hi' } }),
          });
          expect(response.status, contentType).toBe(200);
        }
      });

      it('a body over the limit, declared by Content-Length -> 413', async () => {
        const big = JSON.stringify({ tool: 'echo', args: { text: 'x'.repeat(CONFORMANCE_BODY_LIMIT) } });
        expectError(await call('/tools/call', big), 413, 'payload_too_large');
      });

      it('a chunked body that grows over the limit -> 413', async () => {
        const big = JSON.stringify({ tool: 'echo', args: { text: 'x'.repeat(CONFORMANCE_BODY_LIMIT) } });
        const response = await rawRequest(url('/tools/call'), {
            method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
          body: big,
          chunked: true,
        });
        expectError(response, 413, 'payload_too_large');
        // The rest of the body is never read: the connection ends rather than drain whatever the client still sends.
        expect(response.headers.connection).toBe('close');
      });

      it('an empty body -> 400', async () => {
        expectError(await call('/tools/call', ''), 400, 'invalid_json');
      });

      it.each([
        ['an array', []],
        ['a string', 'echo'],
        ['null', null],
        ['no tool', { args: {} }],
        ['a tool that is not a string', { tool: 7 }],
        ['an unknown key', { tool: 'echo', args: { text: 'a' }, extra: true }],
      ])('a body that is %s -> 400 bad_request', async (_label, body) => {
        expectError(await call('/tools/call', JSON.stringify(body)), 400, 'bad_request');
      });

      it('a __proto__ key anywhere -> 400, and no prototype is polluted', async () => {
        for (const body of [
          '{"tool":"record.keys","args":{"data":{"__proto__":{"polluted":true}}}}',
          '{"__proto__":{"polluted":true},"tool":"echo","args":{"text":"a"}}',
        ]) {
          expectError(await call('/tools/call', body), 400, 'invalid_json');
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('polluted');
      });

      it('constructor.prototype -> 400; a harmless "constructor" key is accepted', async () => {
        expectError(
          await call('/tools/call', '{"tool":"record.keys","args":{"data":{"constructor":{"prototype":{"polluted":true}}}}}'),
          400,
          'invalid_json',
        );
        const ok = await call('/tools/call', { tool: 'record.keys', args: { data: { constructor: 'a string' } } });
        expect(ok.status).toBe(200);
        expect(ok.json<{ result: unknown }>().result).toEqual({ keys: ['constructor'], pollutedPrototype: false });
      });

      it('deep nesting -> 400, and the server keeps serving', async () => {
        const depth = 2000; // fits the body limit; far beyond the allowed depth
        const nested = `{"tool":"record.keys","args":{"data":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
        expect(Buffer.byteLength(nested)).toBeLessThan(CONFORMANCE_BODY_LIMIT);
        const body = expectError(await call('/tools/call', nested), 400, 'invalid_json');
        expect(body.error.message).toMatch(/nested deeper than 64/);
        expect((await fetch(url('/health'))).status).toBe(200);
      });

      it('unknown route -> 404 not_found as JSON', async () => {
        expectError(await rawRequest(url('/no/such/route'), { method: 'GET' }), 404, 'not_found');
      });

      it('a known path with the wrong method -> 405 naming the allowed ones', async () => {
        const response = await rawRequest(url('/tools/call'), { method: 'GET' });
        expectError(response, 405, 'method_not_allowed');
        expect(response.headers.allow).toBe('POST');
        const deleteHealth = await rawRequest(url('/health'), { method: 'DELETE' });
        expectError(deleteHealth, 405, 'method_not_allowed');
        expect(deleteHealth.headers.allow).toBe('GET, HEAD');
      });

      it('still serves after every bad request above', async () => {
        const response = await call('/tools/call', { tool: 'echo', args: { text: 'still here' } });
        expect(response.status).toBe(200);
      });
    });
  });

  describeAuthConformance(name, start);
  describeAuditConformance(name, start);
  describeApprovalsConformance(name, start);
  describeGuardsConformance(name, start);
  describeSecretsConformance(name, start);
  describePluginsConformance(name, start);
}
