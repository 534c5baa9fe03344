import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { startExample } from '../../demo-tools/test-support/runbook-smoke.js';

it('npm start of examples/python-worker serves sandbox.echo from Python workers', async () => {
  const workDir = await mkdtemp(join(tmpdir(), 'python-example-'));
  const server = startExample(
    resolve(__dirname, '..'),
    {
      AGENT_GATEWAY_ADMIN_PASS: 'x',
      AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
      AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
      SCRATCH_DIR: join(workDir, 'scratch'),
    },
    'start.ts',
  );
  try {
    const base = await server.url;
    expect(await (await fetch(`${base}/health/worker`)).json()).toMatchObject({ worker_healthy: true, pool: { isolation: { permissionModel: false } } });
    const login = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"x"}' });
    const { token } = (await login.json()) as { token: string };
    const call = await fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ tool: 'sandbox.echo', args: { text: 'from python' } }),
    });
    expect(await call.json()).toMatchObject({ result: { text: 'from python' } });
  } finally {
    server.child.kill('SIGTERM');
    await server.exit;
    await rm(workDir, { recursive: true, force: true });
  }
});
