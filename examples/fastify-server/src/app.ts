import { answerClientError, type Gateway } from '@agent-gateway/core';
import { gatewayPlugin } from '@agent-gateway/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The Fastify instance that serves this gateway, with its plugin registered and not listening:
 * `src/server.ts` listens on it, and tests mount it in their own process.
 */
export async function buildApp(gateway: Gateway): Promise<FastifyInstance> {
  // Requests Node cannot parse (headers too large, malformed) get the gateway's JSON error too.
  const app = Fastify({ clientErrorHandler: answerClientError });
  await app.register(gatewayPlugin, { gateway });
  return app;
}
