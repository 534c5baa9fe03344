import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createJsonLogger, Gateway, GatewayError, scrubbingLogger, silentLogger, systemCaller, type Approval, type GatewayRequest, type LogFields, type Logger } from '../../src/index.js';
import { viewOf } from '../../src/approvals/approval.js';

/** Every place below must show these scrubbed. */
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2cifQ.c2lnbmVkLWJ5LW1l';
const GH = `ghp_${'Z9y8X7'.repeat(6)}`;
const R = '[REDACTED]';
const host = systemCaller('host-job');

function recordingLogger(): { logger: Logger; lines: Array<{ message: string; fields?: LogFields }> } {
  const lines: Array<{ message: string; fields?: LogFields }> = [];
  const push = (message: string, fields?: LogFields): void => {
    lines.push({ message, ...(fields === undefined ? {} : { fields }) });
  };
  return { logger: { info: push, warn: push, error: push }, lines };
}

describe('logs', () => {
  it('the JSON logger scrubs the message and the fields, errors included', () => {
    const written: string[] = [];
    createJsonLogger((line) => written.push(line)).error(`call with Bearer ${JWT} failed`, {
      password: 'hunter2',
      error: new Error(`upstream said ${GH}`),
      url: 'https://bob:pw-1@db.example/',
    });
    const line = JSON.parse(written[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', message: `call with Bearer ${R} failed`, password: R, url: `https://bob:${R}@db.example/` });
    expect(line.error).toMatchObject({ name: 'Error', message: `upstream said ${R}` });
    for (const secret of [JWT, GH, 'hunter2', 'pw-1']) expect(written[0]).not.toContain(secret);
  });

  it("the gateway scrubs what reaches a host's own logger, and wraps a logger once", async () => {
    const { logger, lines } = recordingLogger();
    const gateway = new Gateway({ logger }).registerTool({
      name: 'leaky',
      description: 'throws an error quoting a credential',
      args: z.object({}),
      run: () => {
        throw new Error(`connect postgres://app:pw-2@db/x with ${GH}`);
      },
    });
    await expect(gateway.callTool({ tool: 'leaky', args: {} }, { caller: host })).rejects.toMatchObject({ code: 'tool_failed' });
    const logged = JSON.stringify(lines);
    expect(logged).toContain('tool threw');
    expect(logged).not.toContain('pw-2');
    expect(logged).not.toContain(GH);
    expect(scrubbingLogger(gateway.logger)).toBe(gateway.logger);
    const json = createJsonLogger(() => {});
    expect(scrubbingLogger(json)).toBe(json);
    expect(scrubbingLogger(silentLogger)).toBe(silentLogger);
    await gateway.close();
  });
});

describe('error bodies', () => {
  it('scrub the message, issues and details a GatewayError carries', () => {
    const error = new GatewayError(400, 'bad_request', `not an origin: https://u:pw-3@h.example/?token=t-1`, {
      issues: [{ path: `headers.${JWT}`, message: `got Bearer ${JWT}` }],
      details: { api_key: 'k-1', state: 'pending' },
    });
    const body = JSON.stringify(error.toJSON());
    for (const secret of [JWT, 'pw-3', 't-1', 'k-1']) expect(body).not.toContain(secret);
    expect(error.toJSON().error.details).toEqual({ api_key: R, state: 'pending' });
  });

  it('/validate scrubs an issue whose message quotes the value it refused', async () => {
    const gateway = new Gateway({ logger: silentLogger }).registerTool({
      name: 'strict',
      description: 'refuses anything, quoting it',
      args: z.object({ note: z.string().refine(() => false, { error: (issue) => `refused ${String(issue.input)}` }) }),
      run: () => 'never',
    });
    const text = JSON.stringify({ tool: 'strict', args: { note: `Bearer ${JWT}` } });
    const request: GatewayRequest = {
      method: 'POST',
      url: '/validate',
      headers: { 'content-type': 'application/json' },
      body: { kind: 'stream', stream: (async function* () { yield Buffer.from(text); })() },
    };
    const response = await gateway.handle(request);
    const body = response !== undefined && 'body' in response ? response.body : '';
    expect(JSON.parse(body)).toMatchObject({ valid: false, issues: [{ path: 'note', message: `refused Bearer ${R}` }] });
    expect(body).not.toContain(JWT);
    await gateway.close();
  });
});

describe('approval views and webhooks', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("a view scrubs the decision's reason and the error message, besides the args", () => {
    const approval: Approval = {
      id: 'a-1',
      callId: 'c-1',
      tool: 't',
      args: {},
      digest: '0'.repeat(64),
      caller: host,
      state: 'failed',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:05:00.000Z',
      decision: { by: 'ann', at: '2026-01-01T00:01:00.000Z', reason: `ok, token=${GH}` },
      error: { code: 'tool_error', message: `upstream refused Bearer ${JWT}`, status: 422 },
    };
    const view = viewOf(approval, (args) => args);
    expect(view.reason).toBe(`ok, token=${R}`);
    expect(view.error).toEqual({ code: 'tool_error', message: `upstream refused Bearer ${R}` });
  });

  it('a webhook delivery carries the args scrubbed', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const gateway = new Gateway({ logger: silentLogger, webhooks: { urls: [url], secret: 'webhook-secret-0123456789' } }).registerTool({
      name: 'held',
      description: 'needs approval',
      args: z.object({ note: z.string(), 'x-api-key': z.string() }),
      requiresApproval: true,
      run: () => 'ran',
    });
    await gateway.callTool({ tool: 'held', args: { note: `Bearer ${JWT} `, 'x-api-key': 'k-2' } }, { caller: host });
    for (let i = 0; i < 300 && bodies.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const delivery = JSON.parse(bodies[0] ?? '{}') as { approval?: { args?: unknown } };
    expect(delivery.approval?.args).toEqual({ note: `Bearer ${R} `, 'x-api-key': R });
    await gateway.close();
  });
});
