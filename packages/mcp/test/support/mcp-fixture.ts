import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { z } from 'zod';
import type { Gateway } from '@agent-gateway/core';
import { createConformanceGateway, listenOnLoopback, login, USERS, type ConformanceGateway, type RunningServer } from '@agent-gateway/conformance';
import { gatewayRouter } from '@agent-gateway/express';
import { gatewayPlugin } from '@agent-gateway/fastify';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { mcpPlugin, type McpPluginOptions } from '../../src/index.js';

/** Every way the gateway is served: core's own listener and both adapters. */
export const MOUNTS = ['node', 'express', 'fastify'] as const;
export type Mount = (typeof MOUNTS)[number];

/** The two protocol eras: 2026-07-28, and a client pinned to the 2025-11-25 `initialize` handshake. */
export const ERAS = ['modern', 'legacy'] as const;
export type Era = (typeof ERAS)[number];

export const CLIENT_INFO = { name: 'gateway-test-client', version: '4.5.6' } as const;

async function serve(gateway: Gateway, mount: Mount): Promise<RunningServer> {
  if (mount === 'node') return listenOnLoopback(gateway.nodeListener());
  if (mount === 'express') {
    const app = express();
    app.use(gatewayRouter(gateway, { fallthrough: false }));
    return listenOnLoopback(app);
  }
  const app = Fastify({ forceCloseConnections: true });
  await app.register(gatewayPlugin, { gateway });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/** What the extra tools saw. */
export interface McpProbe {
  slowStarted: number;
  slowAborted: number;
}

export interface McpGateway {
  readonly conformance: ConformanceGateway;
  readonly gateway: Gateway;
  readonly probe: McpProbe;
  readonly baseUrl: string;
  readonly mcpUrl: URL;
  readonly tokens: { readonly agent: string; readonly mathAgent: string; readonly admin: string; readonly approver: string };
  close(): Promise<void>;
}

/**
 * The conformance gateway (its users, tools, limits and real audit log) with the MCP plugin, served
 * on loopback by `mount`, plus two tools of this package's own: one that declares a result schema
 * and hints, one that runs until it is cancelled.
 */
export async function startMcpGateway(mount: Mount, options: McpPluginOptions = {}): Promise<McpGateway> {
  const conformance = await createConformanceGateway(undefined, { plugins: [mcpPlugin(options)] });
  const { gateway } = conformance;
  const probe: McpProbe = { slowStarted: 0, slowAborted: 0 };
  gateway.registerTool({
    name: 'lookup',
    description: 'Looks a name up',
    args: z.object({ id: z.string() }),
    output: z.object({ id: z.string(), length: z.number() }),
    hints: { readOnly: true, idempotent: true, title: 'Look up' },
    run: ({ id }) => ({ id, length: id.length }),
  });
  gateway.registerTool({
    name: 'slow',
    description: 'Runs until cancelled',
    args: z.object({}),
    run: (_args, { signal }) =>
      new Promise((resolve) => {
        probe.slowStarted += 1;
        signal.addEventListener('abort', () => {
          probe.slowAborted += 1;
          resolve('stopped');
        });
      }),
  });
  const server = await serve(gateway, mount);
  const sessions = await Promise.all([USERS.agent, USERS.mathAgent, USERS.admin, USERS.approver].map((user) => login(server.baseUrl, user)));
  const [agent, mathAgent, admin, approver] = sessions.map((session) => session.token);
  if (agent === undefined || mathAgent === undefined || admin === undefined || approver === undefined) throw new Error('login failed');
  return {
    conformance,
    gateway,
    probe,
    baseUrl: server.baseUrl,
    mcpUrl: new URL(`${server.baseUrl}${options.path ?? '/mcp'}`),
    tokens: { agent, mathAgent, admin, approver },
    async close() {
      await server.close();
      await conformance.dispose();
    },
  };
}

/** The SDK's own client over Streamable HTTP with a bearer token, in the era asked for. */
export async function connectClient(url: URL, token: string, era: Era): Promise<Client> {
  const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : { supportedProtocolVersions: ['2025-11-25'] };
  const client = new Client(CLIENT_INFO, options);
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return client;
}

/** The first text block of a tool result. */
export function textOf(result: { content?: unknown }): string {
  const [first] = Array.isArray(result.content) ? (result.content as { type?: string; text?: string }[]) : [];
  return first?.type === 'text' ? (first.text ?? '') : '';
}
