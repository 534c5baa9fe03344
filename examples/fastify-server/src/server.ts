import type { AddressInfo } from 'node:net';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { gatewayPlugin } from '@agent-gateway/fastify';
import Fastify from 'fastify';

await runExampleServer('fastify', async (gateway, port, host) => {
  const app = Fastify();
  await app.register(gatewayPlugin, { gateway });
  await app.listen({ port, host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
});
