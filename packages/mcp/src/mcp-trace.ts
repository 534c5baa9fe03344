import { contextFromCarrier, TRACE_ATTRIBUTES } from '@agent-gateway/core/http';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('@agent-gateway/mcp');

/** What the MCP server span of one `tools/call` is named after. */
export interface McpCallTrace {
  readonly tool: string;
  readonly requestId: string | number;
  readonly sessionId: string | undefined;
  /** The request's `_meta`: its `traceparent`/`tracestate`, when the client sent them, are the parent. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Runs one `tools/call` inside a SERVER span `tools/call {tool}` (MCP semantic conventions), whose
 * parent is the trace context in the request's `_meta` if the client sent one, else the HTTP
 * request's span. Without an SDK (and no trace to continue) `serve` runs as it is.
 */
export function traceMcpCall<T>(call: McpCallTrace, serve: () => Promise<T>, isError: (result: T) => boolean): Promise<T> {
  const active = context.active();
  const parent = contextFromCarrier(call.meta === undefined ? undefined : { traceparent: call.meta.traceparent, tracestate: call.meta.tracestate }, active) ?? active;
  const span = tracer.startSpan(`tools/call ${call.tool}`, { kind: SpanKind.SERVER }, parent);
  if (!span.isRecording()) {
    span.end();
    return parent === active ? serve() : context.with(trace.setSpan(parent, span), serve);
  }
  span.setAttribute(TRACE_ATTRIBUTES.mcpMethod, 'tools/call');
  span.setAttribute(TRACE_ATTRIBUTES.toolName, call.tool);
  span.setAttribute(TRACE_ATTRIBUTES.jsonRpcRequestId, String(call.requestId));
  if (call.sessionId !== undefined) span.setAttribute(TRACE_ATTRIBUTES.mcpSession, call.sessionId);
  return context.with(trace.setSpan(parent, span), serve).then(
    (result) => {
      if (isError(result)) span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool_error' });
      span.end();
      return result;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw error;
    },
  );
}

/** The `approval wait` span of a call held open for a decision; none when nothing records. */
export function startApprovalWait(approvalId: string): Span | undefined {
  if (trace.getActiveSpan()?.isRecording() !== true) return undefined;
  return tracer.startSpan('approval wait', { kind: SpanKind.INTERNAL, attributes: { [TRACE_ATTRIBUTES.approvalId]: approvalId } });
}

/** Ends the wait with its outcome; a decision made meanwhile is an `approval.decided` event. */
export function endApprovalWait(span: Span | undefined, state: string, decided: boolean): void {
  if (span === undefined) return;
  span.setAttribute(TRACE_ATTRIBUTES.approvalState, state);
  if (decided) span.addEvent('approval.decided', { [TRACE_ATTRIBUTES.approvalState]: state });
  span.end();
}
