import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testGateway, type TestGateway } from '../../demo-tools/test-support/in-process-app.js';
import { buildApp } from '../src/app.js';

// The app in this process, on a real loopback listener; app.smoke.test.ts runs `npm start`'s process.
describe('examples/embed-in-existing-app: buildApp in process', () => {
  let built: TestGateway;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    built = await testGateway();
    server = buildApp(built.gateway).listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await built.close();
  });

  it("keeps the app's own routes and its 404, under /gateway too", async () => {
    expect(await (await fetch(`${base}/api/orders`)).json()).toEqual([{ id: 1, item: 'coffee', total: 4.5 }]);
    const unknown = await fetch(`${base}/gateway/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ app: 'not found' });
  });

  it("serves the gateway under /gateway: health, login and the app's own tool", async () => {
    expect(await (await fetch(`${base}/gateway/health`)).json()).toEqual({ status: 'ok' });
    const login = await fetch(`${base}/gateway/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"bot","password":"bot-password"}' });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const call = await fetch(`${base}/gateway/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ tool: 'orders.lookup', args: { id: 1 } }),
    });
    expect(call.status).toBe(200);
    expect(await call.json()).toMatchObject({ result: { id: 1, item: 'coffee' } });
  });

  it('answers a bad tool call with the gateway\'s JSON error, though the app parsed the body first', async () => {
    const login = await fetch(`${base}/gateway/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"bot","password":"bot-password"}' });
    const { token } = (await login.json()) as { token: string };
    const call = await fetch(`${base}/gateway/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ tool: 'orders.lookup', args: { id: 'one' } }),
    });
    expect(call.status).toBe(422);
    expect(await call.json()).toMatchObject({ error: { code: 'invalid_args' } });
  });
});
