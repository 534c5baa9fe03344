import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDemoTools } from '../src/index.js';
import { sendOversizedHeaders } from './raw-http.js';

/** An app from an example's `buildApp`, listening on a loopback port the test chose. */
export interface ListeningApp {
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** How an example's app is mounted in the test's own process: `buildApp(gateway)`, then listen. */
export type ListenInProcess = (gateway: Gateway) => Promise<ListeningApp>;

export interface TestGateway {
  readonly gateway: Gateway;
  /** Where `file.write` writes: a temporary folder removed by `close()`. */
  readonly scratch: string;
  close(): Promise<void>;
}

/**
 * A gateway as the example servers build it (the demo tools, a scratch folder), with an admin and
 * an agent, and cheap password hashing so a test logs in quickly. Nothing is spawned: tools run in
 * this process.
 */
export async function testGateway(): Promise<TestGateway> {
  const workDir = await mkdtemp(join(tmpdir(), 'in-process-example-'));
  const scratch = join(workDir, 'scratch');
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  registerDemoTools(gateway, { scratchDir: scratch });
  const actor = { actor: systemCaller('test') };
  await gateway.auth.createUser({ username: 'admin', password: 'admin-password', role: 'admin' }, actor);
  await gateway.auth.createUser({ username: 'bot', password: 'bot-password', role: 'agent' }, actor);
  return {
    gateway,
    scratch,
    async close() {
      await gateway.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/**
 * A few routes of an example server's app, mounted in the test's process through its `buildApp`:
 * the same suite for every framework, beside the runbook smoke test that runs it as a child process.
 */
export function describeInProcessApp(framework: string, listen: ListenInProcess): void {
  describe(`examples/${framework}-server: buildApp in process`, () => {
    let built: TestGateway;
    let app: ListeningApp;

    beforeAll(async () => {
      built = await testGateway();
      app = await listen(built.gateway);
    });
    afterAll(async () => {
      await app?.close();
      await built?.close();
    });

    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${app.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
    const login = async (username: string, password: string): Promise<string> => {
      const response = await post('/admin/login', { username, password });
      expect(response.status).toBe(200);
      return ((await response.json()) as { token: string }).token;
    };

    it('answers the health check', async () => {
      const response = await fetch(`${app.baseUrl}/health`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    it('logs an agent in and runs a tool for it, and refuses the call without a token', async () => {
      const token = await login('bot', 'bot-password');
      const echo = await post('/tools/call', { tool: 'echo', args: { text: 'in process' } }, token);
      expect(echo.status).toBe(200);
      expect(((await echo.json()) as { result: unknown }).result).toEqual({ text: 'in process' });
      const anonymous = await post('/tools/call', { tool: 'echo', args: { text: 'x' } });
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
    });

    it('holds file.write until an admin approves it, then writes into the test\'s scratch folder', async () => {
      const held = await post('/tools/call', { tool: 'file.write', args: { path: 'note.txt', content: 'approved' } }, await login('bot', 'bot-password'));
      expect(held.status).toBe(202);
      const { approval_id: id } = (await held.json()) as { approval_id: string };
      const approved = await post(`/approvals/${id}/approve`, {}, await login('admin', 'admin-password'));
      expect(approved.status).toBe(200);
      expect(await readFile(join(built.scratch, 'note.txt'), 'utf8')).toBe('approved');
    });

    it('answers unknown paths with the JSON 404', async () => {
      const response = await fetch(`${app.baseUrl}/nope`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    });

    it('answers oversized headers with a JSON 431: the client error handler is part of the app', async () => {
      const raw = await sendOversizedHeaders(app.baseUrl);
      expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      expect(raw.toLowerCase()).toContain('content-type: application/json');
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'headers_too_large' } });
    });
  });
}
