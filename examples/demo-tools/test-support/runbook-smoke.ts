import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendOversizedHeaders } from './raw-http.js';

const RUNBOOK_METRICS = [
  'process_uptime_seconds', 'tool_calls_total', 'tool_call_duration_seconds', 'tool_validation_errors_total',
  'approvals_queued_total', 'worker_healthy', 'worker_pool_alive', 'worker_pool_size', 'scheduler_tasks_total',
  'scheduler_runs_total', 'scheduler_errors_total', 'scheduler_run_duration_seconds',
];

export interface Started {
  readonly child: ChildProcess;
  startLine(): string;
  readonly url: Promise<string>;
  readonly exit: Promise<{ code: number | null; stderr: string }>;
}

/**
 * Starts the example as `npm start` does (tsx on the built packages), with a clean environment, as
 * one process (node with tsx's loader) so that a kill reaches the server itself.
 */
export function startExample(exampleDir: string, env: Record<string, string>, entry = 'src/server.ts'): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: exampleDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = new Promise<string>((resolveUrl, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found?.[1] !== undefined) resolveUrl(found[1]);
    });
    child.once('exit', () => reject(new Error(`server exited before listening: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<{ code: number | null; stderr: string }>((resolveExit) => {
    child.once('exit', (code) => resolveExit({ code, stderr }));
  });
  return { child, url, exit, startLine: () => stdout.trim().split('\n')[0] ?? '' };
}

/**
 * The runbook's commands against an example server started as `npm start` starts it: the same
 * suite for every framework, so they stay interchangeable.
 */
export function describeRunbookSmoke(framework: string, exampleDir: string): void {
describe(`examples/${framework}-server: the runbook`, () => {
  let workDir: string;
  let server: Started;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(resolve(exampleDir, '../../packages/core/dist/index.js'))) {
      throw new Error('the packages are not built: run `npm run build` (npm test does it first)');
    }
    workDir = await mkdtemp(join(tmpdir(), 'express-example-'));
    server = startExample(exampleDir, {
      AGENT_GATEWAY_ADMIN_PASS: 'x',
      SCRATCH_DIR: join(workDir, 'scratch'),
      AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
      AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
    });
    base = await server.url;
  });

  const post = (path: string, body: unknown, token?: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const adminToken = async (): Promise<string> => {
    const response = await post('/admin/login', { username: 'admin', password: 'x' });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  };
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await rm(workDir, { recursive: true, force: true });
  });

  it('prints one start line with its URL', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.startLine()).toContain(`agent-gateway (${framework})`);
  });

  it('serves the approval console at /console/, under its Content-Security-Policy', async () => {
    const page = await fetch(`${base}/console/`);
    expect(page.status, 'the console page is built by npm run build (npm start builds it when missing)').toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(await page.text()).toContain('<div id="app"></div>');
    const bare = await fetch(`${base}/console`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, 'console/']);
  });

  it('answers the runbook health checks, with the sandbox pool of SANDBOX_POOL_SIZE workers', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/health/worker`)).json()).toMatchObject({
      worker_healthy: true,
      pool: { mode: 'sandbox', size: 2, alive: 2, isolation: { permissionModel: true } },
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^worker_pool_alive 2$/m);
    expect(metrics).toMatch(/^worker_pool_size 2$/m);
  });

  it('runs sandbox.echo in a worker process', async () => {
    const response = await post('/tools/call', { tool: 'sandbox.echo', args: { text: 'from a worker' } }, await adminToken());
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: unknown }).result).toEqual({ text: 'from a worker' });
  });

  it('lists all twelve runbook metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of RUNBOOK_METRICS) expect(text).toContain(`# TYPE ${name} `);
  });

  it('runs the runbook section 3: login, refresh, revoke', async () => {
    const login = await post('/admin/login', { username: 'admin', password: 'x' });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { token: string; refresh_token: string; token_type: string; expires_in: number };
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });

    const refreshed = await post('/admin/refresh', { refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    const next = (await refreshed.json()) as { token: string };

    const revoked = await post('/admin/revoke', { token: tokens.token }, next.token);
    expect(revoked.status).toBe(200);
    expect((await post('/tools/call', { tool: 'echo', args: { text: 'x' } }, tokens.token)).status).toBe(401);

    // Export the last 200 audit entries: the login, refresh and revocation are there.
    const fresh = await adminToken();
    const audit = await fetch(`${base}/admin/audit`, { headers: { authorization: `Bearer ${fresh}` } });
    expect(audit.status).toBe(200);
    const events = ((await audit.json()) as Array<{ event: string }>).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['user_created', 'login', 'token_refreshed', 'token_revoked']));
  });

  it('created the bootstrap admin in a 0600 users file that holds no plaintext password', async () => {
    const file = join(workDir, 'users.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const users = JSON.parse(await readFile(file, 'utf8')) as { users: Array<{ username: string; role: string; passwordHash: string }> };
    expect(users.users).toEqual([expect.objectContaining({ username: 'admin', role: 'admin', passwordHash: expect.stringMatching(/^\$scrypt\$ln=17,r=8,p=1\$/) })]);
  });

  it('refuses a tool call without a token', async () => {
    expect((await post('/tools/call', { tool: 'echo', args: { text: 'x' } })).status).toBe(401);
  });

  it('runs the runbook section 4: file.write is held until an admin approves it', async () => {
    const admin = await adminToken();
    const created = await post('/admin/users', { username: 'bot', password: 'bot-password', role: 'agent' }, admin);
    expect(created.status).toBe(201);
    const agent = ((await (await post('/admin/login', { username: 'bot', password: 'bot-password' })).json()) as { token: string }).token;

    const echo = await post('/tools/call', { tool: 'echo', args: { text: 'hi' } }, agent);
    expect(echo.status).toBe(200);
    expect(((await echo.json()) as { result: unknown }).result).toEqual({ text: 'hi' });

    const held = await post('/tools/call', { tool: 'file.write', args: { path: 'hello.txt', content: 'from the smoke test' } }, agent);
    expect(held.status).toBe(202);
    const { approval_id: id } = (await held.json()) as { approval_id: string };
    const listed = (await (await fetch(`${base}/approvals`)).json()) as { approvals: Array<{ id: string; args?: unknown }> };
    expect(listed.approvals.map((a) => a.id)).toContain(id);
    expect(listed.approvals[0]).not.toHaveProperty('args');

    const approved = await fetch(`${base}/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ state: 'executed', result: { path: 'hello.txt' } });
    expect(await readFile(join(workDir, 'scratch', 'hello.txt'), 'utf8')).toBe('from the smoke test');

    const outside = await post('/tools/call', { tool: 'file.write', args: { path: '../out.txt', content: 'x' } }, agent);
    const outsideId = ((await outside.json()) as { approval_id: string }).approval_id;
    const rejected = await fetch(`${base}/approvals/${outsideId}/reject`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(await rejected.json()).toMatchObject({ state: 'rejected' });
  });

  it('runs the runbook section 5: redaction rules set and fetched', async () => {
    const admin = await adminToken();
    const set = await post('/tab/redaction-rules', { origin: 'https://bank.example', fields: ['password', 'card_number'] }, admin);
    expect(set.status).toBe(200);
    const got = await fetch(`${base}/tab/redaction-rules?origin=https://bank.example`);
    expect(await got.json()).toEqual({ origin: 'https://bank.example', fields: ['password', 'card_number'] });
  });

  it('serves its OpenAPI document', async () => {
    expect(await (await fetch(`${base}/openapi.json`)).json()).toMatchObject({ openapi: '3.1.0' });
  });

  it('answers unknown paths with the JSON 404', async () => {
    const response = await fetch(`${base}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers oversized headers with a JSON 431, not Node\'s bare status line', async () => {
    const raw = await sendOversizedHeaders(base);
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'headers_too_large' } });
  });

  it('stops cleanly on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    expect((await server.exit).code).toBe(0);
  });
});

describe(`examples/${framework}-server: configuration errors`, () => {
  it('refuses to start without AGENT_GATEWAY_ADMIN_PASS, naming it, with no stack trace', async () => {
    const { code, stderr } = await startExample(exampleDir, {}).exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(/AGENT_GATEWAY_ADMIN_PASS: is required/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('names a bad variable and its value', async () => {
    const { code, stderr } = await startExample(exampleDir, { AGENT_GATEWAY_ADMIN_PASS: 'x', SANDBOX_POOL_SIZE: 'many' }).exit;
    expect(code).toBe(1);
    expect(stderr).toContain('SANDBOX_POOL_SIZE: expected a whole number of workers (1..64) (got "many")');
  });
});

describe(`examples/${framework}-server: cluster mode`, () => {
  it('WORKERS=2 serves one port from two processes that accept each other\'s tokens, and stops them all', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'cluster-example-'));
    const started = startExample(exampleDir, {
      WORKERS: '2',
      AGENT_GATEWAY_ADMIN_PASS: 'x',
      AGENT_GATEWAY_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!',
      AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
      AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
      SCRATCH_DIR: join(workDir, 'scratch'),
      SANDBOX_POOL_SIZE: '1',
    });
    try {
      const base = await started.url;
      expect(started.startLine()).toContain(`(${framework}, 2 workers)`);
      const login = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"x"}' });
      const { token } = (await login.json()) as { token: string };
      for (let i = 0; i < 10; i += 1) {
        // New connections land on either process; the shared secret makes the token valid on both.
        const response = await fetch(`${base}/admin/users`, { headers: { authorization: `Bearer ${token}`, connection: 'close' } });
        expect(response.status).toBe(200);
      }
      // Only the logs: each keeps its key and signed checkpoint beside it (audit.worker-1.log.checkpoint.json, ...).
      const audits = (await readdir(workDir)).filter((f) => f.startsWith('audit.') && f.endsWith('.log'));
      expect(audits.sort()).toEqual(['audit.worker-1.log', 'audit.worker-2.log']);
      started.child.kill('SIGTERM');
      expect((await started.exit).code).toBe(0);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('refuses WORKERS > 1 without a shared AGENT_GATEWAY_JWT_SECRET', async () => {
    const { code, stderr } = await startExample(exampleDir, { WORKERS: '2', AGENT_GATEWAY_ADMIN_PASS: 'x' }).exit;
    expect(code).toBe(1);
    expect(stderr).toContain('WORKERS > 1 needs AGENT_GATEWAY_JWT_SECRET');
  });
});
}
