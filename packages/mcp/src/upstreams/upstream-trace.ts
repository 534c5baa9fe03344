import { activeCarrier, TRACE_ATTRIBUTES, traceHeaders } from '@agent-gateway/core/http';
import { TRACEPARENT_META_KEY, TRACESTATE_META_KEY, type FetchLike } from '@modelcontextprotocol/client';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('@agent-gateway/mcp');

/**
 * The CLIENT span of one upstream `tools/call` (MCP semantic conventions), as a child of the tool
 * call's span; none when nothing records (no SDK, or no trace to join).
 */
export function startUpstreamSpan(upstream: string, tool: string): Span | undefined {
  if (trace.getActiveSpan()?.isRecording() !== true) return undefined;
  return tracer.startSpan(`tools/call ${tool}`, {
    kind: SpanKind.CLIENT,
    attributes: { [TRACE_ATTRIBUTES.mcpMethod]: 'tools/call', [TRACE_ATTRIBUTES.toolName]: tool, 'agent_gateway.upstream': upstream },
  });
}

/** Ends the span with the call's outcome (the metric's: `ok`, `tool_error`, `timeout`, ...). */
export function endUpstreamSpan(span: Span | undefined, outcome: string, code?: string): void {
  if (span === undefined) return;
  span.setAttribute(TRACE_ATTRIBUTES.outcome, outcome);
  if (code !== undefined) {
    span.setAttribute(TRACE_ATTRIBUTES.errorCode, code);
    span.setAttribute(TRACE_ATTRIBUTES.errorType, code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  span.end();
}

/**
 * The active trace context as MCP request `_meta` (`traceparent`, `tracestate`: the convention the
 * MCP semantic conventions name), so a stdio upstream can continue the trace too. Undefined outside one.
 */
export function traceMeta(): Record<string, string> | undefined {
  const carrier = activeCarrier();
  if (carrier === undefined) return undefined;
  return carrier.tracestate === undefined
    ? { [TRACEPARENT_META_KEY]: carrier.traceparent }
    : { [TRACEPARENT_META_KEY]: carrier.traceparent, [TRACESTATE_META_KEY]: carrier.tracestate };
}

/**
 * `fetch` for an HTTP upstream's transport that adds the active trace context's headers
 * (`traceparent`, `tracestate`, or the host's propagator's) to each request it sends.
 */
export const tracingFetch: FetchLike = (url, init) => {
  const headers = traceHeaders();
  if (Object.keys(headers).length === 0) return fetch(url, init);
  const merged = new Headers(init?.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return fetch(url, { ...init, headers: merged });
};
