import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '@agent-gateway/core';
import { describeConformance, type RunningServer } from '@agent-gateway/conformance';
import { gatewayPlugin } from '../src/index.js';

async function serve(gateway: Gateway, prefix?: string): Promise<RunningServer> {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(gatewayPlugin, { gateway, ...(prefix === undefined ? {} : { prefix }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}${prefix ?? ''}`, close: () => app.close() };
}

describeConformance('fastify (gatewayPlugin at the root)', (gateway) => serve(gateway));
describeConformance('fastify (gatewayPlugin under /gateway)', (gateway) => serve(gateway, '/gateway'));
