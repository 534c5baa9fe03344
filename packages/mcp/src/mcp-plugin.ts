import type { GatewayPlugin } from '@agent-gateway/core';
import { definePlugin, defineRoute, jsonResponse, type Route, type RouteMethod } from '@agent-gateway/core/http';
import { McpEndpoint } from './endpoint.js';
import { resolveOptions, type McpPluginOptions } from './options.js';
import { METADATA_PATH, resourceMetadata } from './resource-metadata.js';

const METHODS: readonly RouteMethod[] = ['POST', 'GET', 'DELETE'];

/**
 * The gateway as an MCP server (Streamable HTTP): any MCP client lists and calls the gateway's tools
 * through the whole pipeline, with the same bearer tokens as `/tools/call`. Stateless: every request
 * is served by a fresh SDK server instance, so nodes behind a load balancer need no session affinity
 * (see the README for the two things a 2025-era client gains from one).
 *
 * @example
 * const gateway = new Gateway({ plugins: [mcpPlugin({ resourceUrl: 'https://gateway.example.com/mcp' })] });
 */
export function mcpPlugin(options: McpPluginOptions = {}): GatewayPlugin {
  const resolved = resolveOptions(options);
  const endpoint = new McpEndpoint(resolved);
  const mcpRoutes = METHODS.map((method) =>
    defineRoute({
      method,
      path: resolved.path,
      summary: `MCP Streamable HTTP endpoint (${method}); bearer token as for /tools/call, 401 names the protected-resource metadata`,
      // Authenticated by the endpoint itself, so that its 401 carries the challenge MCP clients follow.
      auth: 'none',
      produces: 'application/json',
      handle: ({ services, request, signal }) => endpoint.serve(services, request, signal),
    }),
  );
  // RFC 9728: at the root of the host, and also path-aware (`…/oauth-protected-resource/mcp`), which clients try first.
  const metadataPaths = resolved.path === '/' ? [METADATA_PATH] : [METADATA_PATH, `${METADATA_PATH}${resolved.path}`];
  const metadataRoutes: Route[] = metadataPaths.map((path) =>
    defineRoute({
      method: 'GET',
      path,
      summary: 'OAuth protected-resource metadata of the MCP endpoint (RFC 9728)',
      auth: 'none',
      handle: ({ services, request }) => jsonResponse(200, resourceMetadata(resolved, request, services.auth)),
    }),
  );
  return definePlugin({
    name: 'mcp',
    routes: [...mcpRoutes, ...metadataRoutes],
    onInit(services) {
      endpoint.start(services);
    },
    close: () => endpoint.close(),
  });
}
