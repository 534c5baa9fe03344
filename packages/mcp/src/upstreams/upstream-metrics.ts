import type { GatewayMetrics } from '@agent-gateway/core';
import { Counter, Gauge, Histogram } from 'prom-client';

/** How an upstream call ended, as `mcp_upstream_calls_total` counts it. */
export type CallOutcome = 'ok' | 'tool_error' | 'protocol_error' | 'timeout' | 'unavailable' | 'cancelled';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The upstreams' metrics, in the gateway's own registry (`services.metrics.registry`), so they are
 * on `/metrics` beside the gateway's. Labels are upstream and tool names from the configuration and
 * the upstream's listing, never arguments or credentials.
 */
export class UpstreamMetrics {
  readonly calls: Counter<'upstream' | 'tool' | 'outcome'>;
  readonly duration: Histogram<'upstream' | 'tool'>;
  readonly restarts: Counter<'upstream'>;
  readonly up: Gauge<'upstream'>;

  constructor(registry: GatewayMetrics['registry'], readUp: () => ReadonlyArray<readonly [string, boolean]>) {
    const registers = [registry];
    this.calls = new Counter({
      name: 'mcp_upstream_calls_total',
      help: 'Calls to MCP upstream tools, by upstream, tool (its name on the upstream) and outcome',
      labelNames: ['upstream', 'tool', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mcp_upstream_call_duration_seconds',
      help: 'Latency of calls to MCP upstream tools, by upstream and tool',
      labelNames: ['upstream', 'tool'],
      buckets: BUCKETS,
      registers,
    });
    this.restarts = new Counter({
      name: 'mcp_upstream_restarts_total',
      help: 'Restarts of an MCP upstream after it died or could not start',
      labelNames: ['upstream'],
      registers,
    });
    this.up = new Gauge({
      name: 'mcp_upstream_up',
      help: '1 while the MCP upstream is connected, 0 otherwise',
      labelNames: ['upstream'],
      registers,
      collect() {
        for (const [upstream, isUp] of readUp()) this.set({ upstream }, isUp ? 1 : 0);
      },
    });
  }

  record(upstream: string, tool: string, outcome: CallOutcome, seconds: number): void {
    this.calls.inc({ upstream, tool, outcome });
    this.duration.observe({ upstream, tool }, seconds);
  }
}
