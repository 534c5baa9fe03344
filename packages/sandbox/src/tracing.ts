import { context, isSpanContextValid, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import type { WorkerTrace } from './protocol.js';

/**
 * The sandbox's spans, through `@opentelemetry/api` only (the host registers the SDK). A span is
 * made only as the child of a recording one (a tool call's): the pool's own pings and restarts start
 * no traces, and without an SDK nothing is made at all.
 */
const tracer = trace.getTracer('@agent-gateway/sandbox');

/** A child span of the active one, or undefined when nothing records. */
export function childSpan(name: string, attributes: Attributes): Span | undefined {
  if (trace.getActiveSpan()?.isRecording() !== true) return undefined;
  return tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
}

/** Ends the span; an error sets its status and `agent_gateway.error.code` (the SandboxError's code). */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (span === undefined) return;
  if (error !== undefined) {
    const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'sandbox_failed';
    span.setAttribute('agent_gateway.error.code', code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  span.end();
}

function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * The W3C trace context a worker gets with its request, so that it can continue the trace: the
 * span's if one was made, else the active one's (a trace passing through without an SDK here).
 */
export function workerTraceOf(span: Span | undefined): WorkerTrace | undefined {
  const spanContext = span?.spanContext() ?? trace.getSpanContext(context.active());
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  const tracestate = spanContext.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent: formatTraceparent(spanContext) } : { traceparent: formatTraceparent(spanContext), tracestate };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** What a worker said it continued the trace as, onto the span that called it. */
export function noteWorkerTrace(span: Span | undefined, echoed: WorkerTrace | undefined): void {
  if (span === undefined || echoed === undefined) return;
  const match = TRACEPARENT.exec(echoed.traceparent);
  if (match === null) return;
  span.setAttribute('agent_gateway.sandbox.worker.trace_id', match[1] as string);
  span.setAttribute('agent_gateway.sandbox.worker.span_id', match[2] as string);
}
