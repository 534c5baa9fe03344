import { GatewayError } from '@agent-gateway/core';

/** 503: the upstream is down, restarting, or went away during the call. Only its own tools fail. */
export class UpstreamUnavailableError extends GatewayError {
  override readonly name = 'UpstreamUnavailableError';
  constructor(upstream: string, why: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    const retryAfter = options.retryAfterSeconds;
    super('upstream_unavailable', `MCP upstream ${JSON.stringify(upstream)} is unavailable: ${why}`, {
      cause: options.cause,
      details: { upstream },
      ...(retryAfter === undefined ? {} : { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfter))) } }),
    });
  }
}

/** 504: the upstream did not answer in time. It was sent a cancellation; it keeps running. */
export class UpstreamTimeoutError extends GatewayError {
  override readonly name = 'UpstreamTimeoutError';
  constructor(upstream: string, tool: string, timeoutMs: number) {
    super('upstream_timeout', `MCP upstream ${JSON.stringify(upstream)} did not answer ${tool} within ${timeoutMs} ms`, { details: { upstream, timeout_ms: timeoutMs } });
  }
}

/**
 * 502: the upstream answered with a protocol error (a JSON-RPC error, or a result that breaks the
 * protocol). A tool that fails in the ordinary way answers a result with `isError: true`, which is
 * passed through as a result, not as this.
 */
export class UpstreamProtocolError extends GatewayError {
  override readonly name = 'UpstreamProtocolError';
  constructor(upstream: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('upstream_error', `MCP upstream ${JSON.stringify(upstream)} answered with an error: ${message}`, { details: { upstream, ...details } });
  }
}
