import type { GatewayPlugin } from '@agent-gateway/core';
import { definePlugin, defineRoute, jsonResponse } from '@agent-gateway/core/http';
import { SecretScrubber } from './credentials.js';
import { UpstreamConnection } from './upstream-connection.js';
import { UpstreamMetrics } from './upstream-metrics.js';
import { upstreamConfigSchema, type ResolvedUpstream, type UpstreamConfig } from './upstream-options.js';
import { UpstreamTools } from './upstream-tools.js';

/** Options of `mcpUpstreams(options)`: the MCP servers to put behind the gateway. */
export interface McpUpstreamsOptions {
  readonly upstreams: readonly UpstreamConfig[];
  /** The name this gateway gives itself in the MCP handshake. Default `agent-gateway`. */
  readonly clientName?: string;
}

interface Upstream {
  readonly config: ResolvedUpstream;
  readonly connection: UpstreamConnection;
  readonly tools: UpstreamTools;
}

/** Every upstream's configuration checked at once, each problem naming its upstream. */
function resolveAll(upstreams: readonly UpstreamConfig[]): ResolvedUpstream[] {
  const resolved: ResolvedUpstream[] = [];
  const problems: string[] = [];
  upstreams.forEach((config, index) => {
    const parsed = upstreamConfigSchema.safeParse(config);
    const label = typeof config?.name === 'string' ? JSON.stringify(config.name) : `#${index}`;
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `upstream ${label}: ${issue.path.join('.') || '(root)'}: ${issue.message}`));
    else if (resolved.some((other) => other.name === parsed.data.name)) problems.push(`upstream ${label}: the name is used twice`);
    else resolved.push(parsed.data);
  });
  if (problems.length > 0) throw new TypeError(`invalid MCP upstream configuration:\n${problems.join('\n')}`);
  return resolved;
}

/**
 * MCP servers behind the gateway: each upstream's tools become registry tools named
 * `<upstream>.<tool>`, listed on `/tools`, `/openapi.json` and MCP `tools/list`, and every call goes
 * through the gateway's one pipeline (validation against the upstream's JSON Schema, content filter,
 * approval, audit, metrics). One plugin for all upstreams, so they start in parallel and
 * `/health/upstreams` and the metrics are registered once.
 *
 * An upstream that is down fails only its own calls (503 `upstream_unavailable`): the gateway starts
 * without it and it is restarted with backoff. Its configuration is checked here, at once.
 *
 * @example
 * new Gateway({ plugins: [mcpUpstreams({ upstreams: [
 *   { name: 'fs', transport: { kind: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/srv/scratch'] } },
 * ] })] });
 */
export function mcpUpstreams(options: McpUpstreamsOptions): GatewayPlugin {
  const configs = resolveAll(options.upstreams);
  const scrubber = new SecretScrubber();
  const upstreams: Upstream[] = [];

  const health = defineRoute({
    method: 'GET',
    path: '/health/upstreams',
    summary: 'MCP upstreams: state, protocol, registered and skipped tools; 503 while one is not up',
    auth: 'none',
    handle() {
      const list = upstreams.map(({ config, connection, tools }) => ({
        name: config.name,
        transport: config.transport.kind,
        start: config.start,
        up: connection.state === 'up',
        ...connection.status(),
        ...tools.status(),
      }));
      // A lazy upstream waiting for its first call is healthy.
      const healthy = list.every((upstream) => upstream.up || upstream.state === 'idle');
      return jsonResponse(healthy ? 200 : 503, { healthy, upstreams: list });
    },
  });

  return definePlugin({
    name: 'mcp-upstreams',
    routes: [health],
    async onInit(gateway) {
      const metrics = new UpstreamMetrics(gateway.metrics.registry, () => upstreams.map((upstream) => [upstream.config.name, upstream.connection.state === 'up'] as const));
      for (const config of configs) {
        let tools: UpstreamTools | undefined;
        const connection = new UpstreamConnection(config, {
          secrets: gateway.secrets,
          logger: gateway.logger,
          scrubber,
          clientInfo: { name: options.clientName ?? 'agent-gateway', version: '0.1.0' },
          events: {
            onTools: (listed) => tools?.sync(listed),
            onState: (state) => gateway.logger.info('mcp upstream state', { upstream: config.name, state }),
            onRestart: () => metrics.restarts.inc({ upstream: config.name }),
          },
        });
        tools = new UpstreamTools({ config, connection, metrics, scrubber }, gateway);
        upstreams.push({ config, connection, tools });
      }
      // In parallel, and never failing: an upstream that does not start is retried, the gateway serves.
      await Promise.all(upstreams.map(({ config, connection }) => (config.start === 'eager' ? connection.start() : connection.probe())));
    },
    async close() {
      await Promise.all(upstreams.map((upstream) => upstream.connection.close()));
      for (const upstream of upstreams) upstream.tools.removeAll();
    },
  });
}
