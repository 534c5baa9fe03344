import type { AddressInfo } from 'node:net';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { buildApp } from './app.js';

await runExampleServer('fastify', async (gateway, port, host) => {
  const app = await buildApp(gateway);
  await app.listen({ port, host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
});
