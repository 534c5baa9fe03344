import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopback, postJson } from '@agent-gateway/conformance';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, Gateway, silentLogger, systemCaller } from '../../src/index.js';

// POST /admin/logout: anyone signed in ends their own session (the console's Sign out), which
// /admin/revoke, an admin route, does not let an approver do.
let dir: string;
let audit: AuditLog;
let gateway: Gateway;
let baseUrl: string;
let close: () => Promise<void>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'logout-http-'));
  audit = await AuditLog.open(join(dir, 'audit.log'));
  gateway = new Gateway({ logger: silentLogger, audit, auth: { passwordHashing: { logN: 10, r: 8, p: 1 }, refreshGraceSeconds: 0 } });
  const actor = { actor: systemCaller('test') };
  await gateway.auth.createUser({ username: 'ann', password: 'ann-password', role: 'approver' }, actor);
  ({ baseUrl, close } = await listenOnLoopback(gateway.nodeListener()));
});
afterEach(async () => {
  await close();
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

const login = async (): Promise<{ token: string; refresh_token: string }> => {
  const response = await postJson(`${baseUrl}/admin/login`, { username: 'ann', password: 'ann-password' });
  expect(response.status).toBe(200);
  return response.json() as { token: string; refresh_token: string };
};

describe('POST /admin/logout', () => {
  it("revokes the caller's own session: its access token and its refresh token stop working, and the audit log says who", async () => {
    const session = await login();
    const other = await login();
    const out = await postJson(`${baseUrl}/admin/logout`, undefined, session.token);
    expect(out.status).toBe(200);
    expect(out.json()).toMatchObject({ revoked: 'session', jti: expect.any(String) });
    const { jti } = out.json() as { jti: string };
    expect((await postJson(`${baseUrl}/admin/logout`, undefined, session.token)).status).toBe(401);
    const refreshed = await postJson(`${baseUrl}/admin/refresh`, { refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(401);
    // Another login of the same user is another session, left alone.
    expect((await postJson(`${baseUrl}/admin/refresh`, { refresh_token: other.refresh_token })).status).toBe(200);
    await expect.poll(async () => (await audit.tail(20, { event: 'token_revoked' })).length).toBe(1);
    const [entry] = await audit.tail(1, { event: 'token_revoked' });
    expect(entry).toMatchObject({ actor: { type: 'user', user: 'ann', role: 'approver', jti }, details: { jti, scope: 'session' } });
  });

  it('needs a token', async () => {
    const anonymous = await postJson(`${baseUrl}/admin/logout`, undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
