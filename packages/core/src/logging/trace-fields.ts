import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import { tracingRegistered } from '../tracing/tracer.js';

/**
 * `trace_id` and `span_id` of the active OpenTelemetry span, for a log line written inside one, so a
 * line leads to its trace and back; undefined outside any trace (always, without an SDK) or when the
 * line names its own.
 */
export function traceFieldsOf(fields: Readonly<Record<string, unknown>> | undefined): { trace_id: string; span_id: string } | undefined {
  if (!tracingRegistered()) return undefined;
  const spanContext = trace.getSpanContext(context.active());
  if (spanContext === undefined || !isSpanContextValid(spanContext) || fields?.trace_id !== undefined) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
