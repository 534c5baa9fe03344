import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { listenOnLoopback, type RunningServer } from '@agent-gateway/conformance';
import { gatewayRouter } from '../src/index.js';

describe('gatewayRouter inside a host app', () => {
  let server: RunningServer;
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
  let authorization = '';

  beforeAll(async () => {
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    authorization = `Bearer ${(await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken}`;
    const app = express();
    app.get('/host/hello', (_req, res) => {
      res.json({ from: 'host' });
    });
    app.use('/gateway', gatewayRouter(gateway));
    // Routes and handlers after the router still get what the gateway does not serve.
    app.get('/gateway/host-extension', (_req, res) => {
      res.json({ from: 'host extension' });
    });
    app.get('/boom', () => {
      throw new Error('host failure');
    });
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('host 404');
    });
    const onError: ErrorRequestHandler = (_error, _req, res, _next) => {
      res.status(500).type('text/plain').send('host error handler');
    };
    app.use(onError);
    server = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await server.close();
    await gateway.close();
  });

  it('serves the gateway under its mount path', async () => {
    const response = await fetch(`${server.baseUrl}/gateway/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ tool: 'echo', args: { text: 'mounted' } }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: unknown }).result).toEqual({ text: 'mounted' });
    expect((await fetch(`${server.baseUrl}/gateway/health`)).status).toBe(200);
  });

  it('leaves the host routes alone', async () => {
    expect(await (await fetch(`${server.baseUrl}/host/hello`)).json()).toEqual({ from: 'host' });
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(404);
  });

  it('passes paths it does not serve to the host (fallthrough by default)', async () => {
    expect(await (await fetch(`${server.baseUrl}/gateway/host-extension`)).json()).toEqual({ from: 'host extension' });
    const unknown = await fetch(`${server.baseUrl}/gateway/unknown`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('host 404');
  });

  it("keeps the host's error handler for the host's own errors", async () => {
    const response = await fetch(`${server.baseUrl}/boom`);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('host error handler');
  });

  it("works behind a host's express.json(), still refusing prototype keys in the parsed body", async () => {
    const app = express();
    app.use(express.json());
    app.use(gatewayRouter(gateway, { fallthrough: false }));
    const behindParser = await listenOnLoopback(app);
    try {
      const post = (body: string) =>
        fetch(`${behindParser.baseUrl}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      const ok = await post(JSON.stringify({ tool: 'echo', args: { text: 'parsed by host' } }));
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { result: unknown }).result).toEqual({ text: 'parsed by host' });
      const poisoned = await post('{"tool":"echo","args":{"text":"a","__proto__":{"polluted":true}}}');
      expect(poisoned.status).toBe(400);
      expect(await poisoned.json()).toMatchObject({ error: { code: 'invalid_json' } });
    } finally {
      await behindParser.close();
    }
  });

  it('answers a wrong method on a gateway path itself, as JSON', async () => {
    const response = await fetch(`${server.baseUrl}/gateway/tools/call`);
    expect(response.status).toBe(405);
    expect(await response.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });
});
