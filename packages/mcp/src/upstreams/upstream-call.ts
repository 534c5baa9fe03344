import { isGatewayError, type ToolContext } from '@agent-gateway/core';
import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError, type CallToolResult } from '@modelcontextprotocol/client';
import type { SecretScrubber } from './credentials.js';
import { firstMatch } from './glob.js';
import { markMcpResult } from './mcp-result.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream-errors.js';
import type { CallOutcome, UpstreamMetrics } from './upstream-metrics.js';
import type { ResolvedUpstream } from './upstream-options.js';

export interface CallDeps {
  readonly config: ResolvedUpstream;
  readonly connection: UpstreamConnection;
  readonly metrics: UpstreamMetrics;
  readonly scrubber: SecretScrubber;
}

const GONE = new Set<string>([SdkErrorCode.ConnectionClosed, SdkErrorCode.NotConnected, SdkErrorCode.SendFailed]);

/**
 * What went wrong, as the gateway's error and the metric's outcome. Whatever the upstream said is
 * scrubbed of its credentials before it can reach an error body.
 */
function failureOf(deps: CallDeps, tool: string, timeoutMs: number, signal: AbortSignal, error: unknown): { error: Error; outcome: CallOutcome } {
  const upstream = deps.config.name;
  const said = (value: unknown) => deps.scrubber.scrub(value instanceof Error ? value.message : String(value));
  if (isGatewayError(error)) return { error, outcome: error.code === 'upstream_timeout' ? 'timeout' : 'unavailable' };
  // The SDK reports an abort as a timeout; the signal says which it was.
  if (signal.aborted) return { error: new UpstreamUnavailableError(upstream, 'the call was cancelled before the upstream answered'), outcome: 'cancelled' };
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return { error: new UpstreamTimeoutError(upstream, tool, timeoutMs), outcome: 'timeout' };
  if (error instanceof SdkHttpError && error.status < 500 && error.status !== 404) {
    return { error: new UpstreamProtocolError(upstream, said(error), { http_status: error.status }), outcome: 'protocol_error' };
  }
  if (error instanceof SdkError && !(error instanceof SdkHttpError) && !GONE.has(error.code)) {
    return { error: new UpstreamProtocolError(upstream, said(error), { sdk_code: error.code }), outcome: 'protocol_error' };
  }
  if (error instanceof ProtocolError) return { error: new UpstreamProtocolError(upstream, said(error), { rpc_code: error.code }), outcome: 'protocol_error' };
  // The process died, the server went away, its session is gone (404): the connection is broken.
  deps.connection.reportBroken();
  return { error: new UpstreamUnavailableError(upstream, `it went away during the call (${said(error)})`, { cause: error }), outcome: 'unavailable' };
}

/**
 * Runs one upstream tool for the pipeline: the upstream's `CallToolResult`, unchanged and marked
 * (`isError` results are results: the tool ran and said no), or a gateway error for everything
 * that is not the tool's answer (down, timed out, protocol error).
 */
export async function callUpstreamTool(deps: CallDeps, tool: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
  const timeoutMs = firstMatch(deps.config.toolTimeouts, tool) ?? deps.config.timeoutMs;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await deps.connection.callTool(tool, args, { timeoutMs, signal: context.signal });
    deps.metrics.record(deps.config.name, tool, result.isError === true ? 'tool_error' : 'ok', seconds());
    return markMcpResult(result);
  } catch (thrown) {
    const { error, outcome } = failureOf(deps, tool, timeoutMs, context.signal, thrown);
    deps.metrics.record(deps.config.name, tool, outcome, seconds());
    throw error;
  }
}
