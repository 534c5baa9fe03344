import type { AddressInfo } from 'node:net';
import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { answerClientError } from '@agent-gateway/core';
import { gatewayPlugin } from '@agent-gateway/fastify';
import Fastify from 'fastify';

await runExampleServer('fastify', async (gateway, port, host) => {
  // Requests Node cannot parse (headers too large, malformed) get the gateway's JSON error too.
  const app = Fastify({ clientErrorHandler: answerClientError });
  await app.register(gatewayPlugin, { gateway });
  await app.listen({ port, host });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
});
