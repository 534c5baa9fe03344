import { isGatewayError, type ToolContext } from '@agent-gateway/core';
import { context as otelContext, trace } from '@opentelemetry/api';
import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError, type CallToolResult, type Progress } from '@modelcontextprotocol/client';
import type { SecretScrubber } from './credentials.js';
import { firstMatch } from './glob.js';
import { markMcpResult } from './mcp-result.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream-errors.js';
import type { CallOutcome, UpstreamMetrics } from './upstream-metrics.js';
import type { ResolvedUpstream } from './upstream-options.js';
import { endUpstreamSpan, startUpstreamSpan } from './upstream-trace.js';

export interface CallDeps {
  readonly config: ResolvedUpstream;
  readonly connection: UpstreamConnection;
  readonly metrics: UpstreamMetrics;
  readonly scrubber: SecretScrubber;
}

/** A call's time limits, and the signals that end it: the caller leaving, or its total limit. */
interface CallLimits {
  readonly timeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly caller: AbortSignal;
  readonly total: AbortSignal;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const GONE = new Set<string>([SdkErrorCode.ConnectionClosed, SdkErrorCode.NotConnected, SdkErrorCode.SendFailed]);

/**
 * What went wrong, as the gateway's error and the metric's outcome. Whatever the upstream said is
 * scrubbed of its credentials before it can reach an error body.
 */
function failureOf(deps: CallDeps, tool: string, limits: CallLimits, error: unknown): { error: Error; outcome: CallOutcome } {
  const upstream = deps.config.name;
  const said = (value: unknown) => deps.scrubber.scrub(value instanceof Error ? value.message : String(value));
  if (isGatewayError(error)) return { error, outcome: error.code === 'upstream_timeout' ? 'timeout' : 'unavailable' };
  const overTotal = () => ({ error: new UpstreamTimeoutError(upstream, tool, limits.totalTimeoutMs, 'total'), outcome: 'timeout' as const });
  // The SDK reports an abort as a timeout; the signals say which it was.
  if (limits.total.aborted) return overTotal();
  if (limits.caller.aborted) return { error: new UpstreamUnavailableError(upstream, 'the call was cancelled before the upstream answered'), outcome: 'cancelled' };
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    // The SDK's own bound on a call that kept reporting progress: its data names it.
    if (isRecord(error.data) && 'maxTotalTimeout' in error.data) return overTotal();
    return { error: new UpstreamTimeoutError(upstream, tool, limits.timeoutMs), outcome: 'timeout' };
  }
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

/** An upstream's progress as the pipeline's: what it says scrubbed of the upstream's credentials. */
function forwardProgress(deps: CallDeps, context: ToolContext): (progress: Progress) => void {
  return ({ progress, total, message }) =>
    context.reportProgress({ progress, ...(total === undefined ? {} : { total }), ...(message === undefined ? {} : { message: deps.scrubber.scrub(message) }) });
}

/**
 * Runs one upstream tool for the pipeline: the upstream's `CallToolResult`, unchanged and marked
 * (`isError` results are results: the tool ran and said no), or a gateway error for everything
 * that is not the tool's answer (down, timed out, protocol error). Its progress notifications go
 * on to the caller (`context.reportProgress`) and each restarts the call's timeout; the total
 * limit ends it however much progress it reports.
 */
export async function callUpstreamTool(deps: CallDeps, tool: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
  const timeoutMs = firstMatch(deps.config.toolTimeouts, tool) ?? deps.config.timeoutMs;
  const totalTimeoutMs = Math.max(timeoutMs, deps.config.totalTimeoutMs);
  // The SDK checks its total bound only when a progress notification arrives; this timer holds it exactly.
  const total = new AbortController();
  const timer = setTimeout(() => total.abort(new Error(`over its total limit of ${totalTimeoutMs} ms`)), totalTimeoutMs);
  const limits: CallLimits = { timeoutMs, totalTimeoutMs, caller: context.signal, total: total.signal };
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const span = startUpstreamSpan(deps.config.name, tool);
  const inSpan = <T>(fn: () => Promise<T>): Promise<T> => (span === undefined ? fn() : otelContext.with(trace.setSpan(otelContext.active(), span), fn));
  try {
    const signal = AbortSignal.any([context.signal, total.signal]);
    const result = await inSpan(() => deps.connection.callTool(tool, args, { timeoutMs, totalTimeoutMs, signal, onProgress: forwardProgress(deps, context) }));
    const outcome = result.isError === true ? 'tool_error' : 'ok';
    deps.metrics.record(deps.config.name, tool, outcome, seconds());
    endUpstreamSpan(span, outcome);
    return markMcpResult(result);
  } catch (thrown) {
    const { error, outcome } = failureOf(deps, tool, limits, thrown);
    deps.metrics.record(deps.config.name, tool, outcome, seconds());
    endUpstreamSpan(span, outcome, isGatewayError(error) ? error.code : outcome);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
