// One benchmark server per process: bare Fastify, bare Express (each with /echo and /health), or the gateway on either.
//   tsx bench/servers.ts <fastify|express|gateway-fastify|gateway-express>
// Prints one JSON line {port, token?} once listening.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { z } from 'zod';
import { AuditLog, Gateway, systemCaller } from '@agent-gateway/core';
import { gatewayRouter } from '@agent-gateway/express';
import { gatewayPlugin } from '@agent-gateway/fastify';

const kind = process.argv[2];

/** The gateway's audit folder: removed when the server is stopped (a 1,000,000-call run writes ~500 MB). */
let auditDir: string | undefined;

async function gateway(): Promise<{ gateway: Gateway; token: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-gateway-'));
  auditDir = dir;
  // As in production: auth, validation, durable audit (group commit) and metrics; no rate limits, so
  // the load generator measures the pipeline and not the limiter.
  const gw = new Gateway({
    audit: await AuditLog.open(join(dir, 'audit.log')),
    rateLimits: { global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } },
    auth: { passwordHashing: { logN: 10, r: 8, p: 1 }, accessTtlSeconds: 3600 },
    logger: { info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
  });
  gw.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
  await gw.auth.createUser({ username: 'bench', password: 'bench-password', role: 'agent' }, { actor: systemCaller('bench') });
  const { accessToken } = await gw.auth.login('bench', 'bench-password', { address: 'bench' });
  return { gateway: gw, token: accessToken };
}

let port: number;
let token: string | undefined;
if (kind === 'fastify') {
  const app = Fastify();
  app.post('/echo', async (request) => request.body);
  app.get('/health', async () => ({ status: 'ok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
} else if (kind === 'express') {
  const app = express();
  app.use(express.json());
  app.post('/echo', (req, res) => {
    res.json(req.body);
  });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
} else if (kind === 'gateway-fastify') {
  const built = await gateway();
  token = built.token;
  const app = Fastify();
  await app.register(gatewayPlugin, { gateway: built.gateway });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
} else if (kind === 'gateway-express') {
  const built = await gateway();
  token = built.token;
  const app = express();
  app.use(gatewayRouter(built.gateway));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
} else {
  throw new Error(`unknown server kind ${kind}`);
}
process.stdout.write(`${JSON.stringify({ port, token })}\n`);
// Exit normally on SIGINT or SIGTERM (so `node --cpu-prof` writes its profile), removing the audit folder.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (auditDir === undefined ? Promise.resolve() : rm(auditDir, { recursive: true, force: true })).finally(() => process.exit(0));
  });
}
