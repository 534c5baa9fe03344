import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type Started } from '../../demo-tools/test-support/runbook-smoke.js';

describe('examples/embed-in-existing-app', () => {
  let workDir: string;
  let app: Started;
  let base: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'embed-example-'));
    app = startExample(
      resolve(__dirname, '..'),
      {
        AGENT_GATEWAY_ADMIN_PASS: 'x',
        AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
        AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
        AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
        SANDBOX_POOL_SIZE: '1',
      },
      'src/server.ts',
    );
    base = await app.url;
  });
  afterAll(async () => {
    app.child.kill('SIGTERM');
    await app.exit;
    await rm(workDir, { recursive: true, force: true });
  });

  it("keeps the app's own routes and 404", async () => {
    expect(await (await fetch(`${base}/api/orders`)).json()).toEqual([{ id: 1, item: 'coffee', total: 4.5 }]);
    expect(await (await fetch(`${base}/gateway/no-such-route`)).json()).toEqual({ app: 'not found' });
  });

  it("serves the gateway under /gateway, with the app's own tool", async () => {
    expect(await (await fetch(`${base}/gateway/health`)).json()).toEqual({ status: 'ok' });
    const login = await fetch(`${base}/gateway/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"x"}' });
    const { token } = (await login.json()) as { token: string };
    const call = await fetch(`${base}/gateway/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ tool: 'orders.lookup', args: { id: 1 } }),
    });
    expect(await call.json()).toMatchObject({ result: { id: 1, item: 'coffee' } });
  });
});
