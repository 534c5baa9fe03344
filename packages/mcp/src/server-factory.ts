import { createRequire } from 'node:module';
import type { Caller, GatewayServices } from '@agent-gateway/core';
import { Server, type AuthInfo, type McpServerFactory } from '@modelcontextprotocol/server';
import { callOverMcp } from './call-over-mcp.js';
import type { CallRegistry } from './call-registry.js';
import type { ResolvedOptions } from './options.js';
import { listToolsFor } from './tool-list.js';

/** What the route knows about one request that the SDK's factory needs: who is calling, and the instance that served them. */
export interface RequestScope {
  readonly caller: Caller;
  server?: Server;
}

/** Both `src/` and `dist/` sit one level below the package root. */
function packageVersion(): string {
  const { version } = createRequire(import.meta.url)('../package.json') as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}

const SERVER_INFO = { name: 'agent-gateway', title: 'Intelli Agent Gateway', version: packageVersion() };

function instructions(options: ResolvedOptions): string {
  return [
    'Tools served by Intelli Agent Gateway. Every call is authorised, rate limited, validated and audited.',
    'A tool marked destructive may need a person to approve the call first: the call is then held open',
    `for up to ${Math.round(options.approvalWaitMs / 1000)} s for the decision; if none comes in time the result names the approval,`,
    'which still runs once approved. Do not repeat such a call: that asks for a second approval.',
  ].join(' ');
}

/**
 * The SDK's per-request factory: a fresh low-level `Server` for each HTTP request, for the caller the
 * route authenticated (handed over through `authInfo`, the SDK's pass-through slot). The low-level
 * server, not `McpServer`, because the tool set is the registry's, filtered per caller, and the
 * arguments are validated by the gateway's pipeline (so refusals are audited), not by the SDK.
 */
export function serverFactory(services: GatewayServices, options: ResolvedOptions, registry: CallRegistry, scopes: WeakMap<AuthInfo, RequestScope>): McpServerFactory {
  return ({ authInfo }) => {
    const scope = authInfo === undefined ? undefined : scopes.get(authInfo);
    if (scope === undefined) throw new Error('an MCP request reached the server factory without an authenticated caller');
    const { caller } = scope;
    const server = new Server(SERVER_INFO, { capabilities: { tools: { listChanged: false } }, instructions: instructions(options) });
    server.setRequestHandler('tools/list', () => listToolsFor(services, caller));
    server.setRequestHandler('tools/call', (request, context) =>
      callOverMcp({ services, options, registry, caller, client: () => server.getClientVersion() ?? registry.clientOf(caller) }, request, context),
    );
    // A 2025-era client cancels on a request of its own, served by another instance: the registry finds the call.
    server.setNotificationHandler('notifications/cancelled', (notification) => {
      const { requestId, reason } = notification.params;
      if (requestId !== undefined) registry.cancel(caller, requestId, reason);
    });
    scope.server = server;
    return server;
  };
}
