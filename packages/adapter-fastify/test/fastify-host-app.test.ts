import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { gatewayPlugin } from '../src/index.js';

describe('gatewayPlugin inside a host Fastify app', () => {
  let app: FastifyInstance;
  let base: string;
  let authorization: string;
  const hostHookPaths: string[] = [];
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });

  beforeAll(async () => {
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    authorization = `Bearer ${(await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken}`;
    app = Fastify({ bodyLimit: 64, forceCloseConnections: true });
    app.addHook('onRequest', async (request) => {
      hostHookPaths.push(request.url);
    });
    app.setErrorHandler(async (_error, _request, reply) => reply.status(500).send({ host: 'error handler' }));
    app.post('/host/echo', async (request) => ({ host: request.body }));
    app.get('/host/boom', async () => {
      throw new Error('host failure');
    });
    await app.register(gatewayPlugin, { gateway, prefix: '/gateway' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await gateway.close();
  });

  it('serves the gateway under its prefix, reading bodies over the host bodyLimit itself', async () => {
    const text = 'x'.repeat(200);
    const response = await fetch(`${base}/gateway/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ tool: 'echo', args: { text } }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { result: unknown }).result).toEqual({ text });
  });

  it("leaves the host's JSON parser, body limit and error handler alone outside the prefix", async () => {
    const small = await fetch(`${base}/host/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await small.json()).toEqual({ host: { a: 1 } });
    const big = await fetch(`${base}/host/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(100) }) });
    expect(big.status).toBe(500);
    expect(await big.json()).toEqual({ host: 'error handler' });
    expect(await (await fetch(`${base}/host/boom`)).json()).toEqual({ host: 'error handler' });
    const unknown = await fetch(`${base}/elsewhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: expect.stringMatching(/not found/i) });
  });

  it("still runs the host's own hooks for gateway paths", () => {
    expect(hostHookPaths).toContain('/gateway/tools/call');
  });
});
