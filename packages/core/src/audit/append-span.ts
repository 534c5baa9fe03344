import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ATTR } from '../tracing/attributes.js';
import { tracer, tracingRegistered } from '../tracing/tracer.js';
import type { AuditEntry } from './audit-entry.js';

/** The span of one append, from the call to the entry being durable (its batch's write and fsync). */
export type AppendSpan = Span;

/**
 * An `audit append` span, only as a child of a recording span (a tool call, a request): an append
 * outside any trace (a timer's) starts no trace of its own, and without an SDK nothing is made.
 */
export function startAppendSpan(event: string): AppendSpan | undefined {
  if (!tracingRegistered() || trace.getActiveSpan()?.isRecording() !== true) return undefined;
  // Stryker disable next-line ObjectLiteral: equivalent, INTERNAL is also the kind a span gets when none is given
  const span = tracer.startSpan('audit append', { kind: SpanKind.INTERNAL });
  span.setAttribute(ATTR.auditEvent, event);
  return span;
}

/** Ends the span when the entry is durable (with its seq) or refused (error status). */
export function endAppendSpan(span: AppendSpan, appended: Promise<AuditEntry>): Promise<AuditEntry> {
  return appended.then(
    (entry) => {
      span.setAttribute(ATTR.auditSeq, entry.seq);
      span.end();
      return entry;
    },
    (error: unknown) => {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'audit_unavailable' });
      span.end();
      throw error;
    },
  );
}

/** A point in the batch's write (`audit.fsync_started`) on the spans of its entries. */
export function markAppendSpans(batch: readonly { readonly pending: { readonly span?: AppendSpan | undefined } }[], name: string): void {
  for (const { pending } of batch) pending.span?.addEvent(name, { batch_size: batch.length });
}
