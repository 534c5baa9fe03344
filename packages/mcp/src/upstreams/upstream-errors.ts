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

/**
 * 504: the upstream did not answer in time: `idle`, it went `timeoutMs` without an answer or a
 * progress notification; `total`, it reported progress but did not finish within its total limit.
 * It was sent a cancellation; it keeps running.
 */
export class UpstreamTimeoutError extends GatewayError {
  override readonly name = 'UpstreamTimeoutError';
  constructor(upstream: string, tool: string, timeoutMs: number, limit: 'idle' | 'total' = 'idle') {
    const what = limit === 'idle' ? `did not answer ${tool} (nor report progress) within ${timeoutMs} ms` : `did not finish ${tool} within its total limit of ${timeoutMs} ms`;
    super('upstream_timeout', `MCP upstream ${JSON.stringify(upstream)} ${what}`, { details: { upstream, timeout_ms: timeoutMs, limit } });
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
