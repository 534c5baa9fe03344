import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, createJsonLogger, EnvSecretStore, Gateway, systemCaller } from '@agent-gateway/core';
import { getJson, listenOnLoopback, login, postJson, type RawResponse } from '@agent-gateway/conformance';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { mcpUpstreams } from '../../src/index.js';
import { eventually, FAULTY_SERVER, stdio } from './support/upstream-gateway.js';

/** Shaped like no known key, so only the upstreams' own scrubbing can take it out (not a pattern). */
const SECRET = 'plain-upstream-credential-4711';

describe('an upstream credential from the SecretStore', () => {
  let dir = '';
  let gateway: Gateway;
  let baseUrl = '';
  let token = '';
  let closeServer: () => Promise<void> = async () => undefined;
  const logLines: string[] = [];
  const answers: RawResponse[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upstream-credentials-'));
    gateway = new Gateway({
      logger: createJsonLogger((line) => logLines.push(line)),
      audit: await AuditLog.open(join(dir, 'audit.log')),
      secrets: new EnvSecretStore({ UPSTREAM_TOKEN_API_KEY: SECRET }),
      auth: { passwordHashing: { logN: 10, r: 8, p: 1 } },
      plugins: [
        mcpUpstreams({
          upstreams: [{ name: 'vaulted', transport: stdio(FAULTY_SERVER), credentials: [{ secret: 'upstream-token', env: 'TOKEN' }], approval: { require: ['echo'] } }],
        }),
      ],
    });
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    await gateway.auth.createUser({ username: 'boss', password: 'boss-password', role: 'admin' }, { actor: systemCaller('test') });
    const server = await listenOnLoopback(gateway.nodeListener());
    baseUrl = server.baseUrl;
    closeServer = server.close;
    token = (await login(baseUrl, { username: 'agent', password: 'agent-password' })).token;
  }, 60_000);

  afterAll(async () => {
    await closeServer();
    await gateway?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (tool: string, args: unknown) => {
    const response = await postJson(`${baseUrl}/tools/call`, { tool, args }, token);
    answers.push(response);
    return response;
  };

  it('reaches the child as the environment variable it was configured as', async () => {
    const response = await call('vaulted.env', { names: ['TOKEN'] });
    const text = response.json<{ result: CallToolResult }>().result.content[0];
    expect(text).toEqual({ type: 'text', text: '{"TOKEN":true}' });
  });

  it('is scrubbed from what the upstream says back: its protocol errors (502) and its stderr', async () => {
    const response = await call('vaulted.leak', {});
    expect(response.status).toBe(502);
    expect(response.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'upstream_error', message: expect.stringContaining('[REDACTED]') });
    await eventually(() => logLines.some((line) => line.includes('debug: using token')), 'the upstream stderr line to be logged');
    expect(logLines.find((line) => line.includes('debug: using token'))).toContain('[REDACTED]');
  });

  it('never appears in the audit log, the log, an error, /metrics or /health/upstreams', async () => {
    // Held calls and their decisions are audited with their args; the credential is no arg.
    const held = await call('vaulted.echo', { text: 'held' });
    expect(held.status).toBe(202);
    const admin = (await login(baseUrl, { username: 'boss', password: 'boss-password' })).token;
    const approved = await postJson(`${baseUrl}/approvals/${held.json<{ approval_id: string }>().approval_id}/approve`, {}, admin);
    expect(approved.status).toBe(200);
    await call('vaulted.hang-not-listed', {});
    const metrics = await getJson(`${baseUrl}/metrics`);
    const health = await getJson(`${baseUrl}/health/upstreams`);
    const audit = await readFile(join(dir, 'audit.log'), 'utf8');
    expect(audit).toContain('vaulted.leak');
    for (const [where, text] of [
      ['audit log', audit],
      ['log', logLines.join('')],
      ['answers', answers.map((answer) => answer.text).join('\n') + approved.text],
      ['/metrics', metrics.text],
      ['/health/upstreams', health.text],
    ] as const) {
      expect(text.includes(SECRET), `${where} holds the secret`).toBe(false);
    }
  });
});

describe('an upstream credential sent as an HTTP header', () => {
  it('reaches the server in the header it was configured as, and not the health page when the server refuses it', async () => {
    const seen: string[] = [];
    const refusing = createServer((request, response) => {
      seen.push(String(request.headers.authorization));
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `token ${String(request.headers.authorization)} refused` }));
    });
    const server = await listenOnLoopback(refusing);
    const gateway = new Gateway({
      logger: createJsonLogger(() => undefined),
      secrets: new EnvSecretStore({ REMOTE_TOKEN_API_KEY: SECRET }),
      plugins: [
        mcpUpstreams({
          upstreams: [
            { name: 'remote', transport: { kind: 'http', url: `${server.baseUrl}/mcp` }, credentials: [{ secret: 'remote-token', header: 'Authorization', prefix: 'Bearer ' }], restart: { initialMs: 60_000, maxMs: 60_000 } },
          ],
        }),
      ],
    });
    const gatewayServer = await listenOnLoopback(gateway.nodeListener());
    try {
      const health = await getJson(`${gatewayServer.baseUrl}/health/upstreams`);
      expect(seen[0]).toBe(`Bearer ${SECRET}`);
      expect(health.status).toBe(503);
      expect(health.json<{ upstreams: Array<{ state: string; last_error: string }> }>().upstreams[0]?.state).toBe('down');
      expect(health.text.includes(SECRET)).toBe(false);
    } finally {
      await gatewayServer.close();
      await gateway.close();
      await server.close();
    }
  });
});
