import { SpanKind, trace } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { tracer, tracingRegistered } from './tracer.js';

/**
 * Runs a wait for an approval's decision inside an `approval wait` span (a child of the request's
 * span; none outside a recording one), ended with the state it found and an `approval.decided`
 * event when a decision came meanwhile.
 */
export function traceApprovalWait<T extends { readonly state: string }>(approvalId: string, wait: () => Promise<T>): Promise<T> {
  if (!tracingRegistered() || trace.getActiveSpan()?.isRecording() !== true) return wait();
  const span = tracer.startSpan('approval wait', { kind: SpanKind.INTERNAL, attributes: { [ATTR.approvalId]: approvalId } });
  return wait().then(
    (approval) => {
      span.setAttribute(ATTR.approvalState, approval.state);
      if (approval.state !== 'pending') span.addEvent('approval.decided', { [ATTR.approvalState]: approval.state });
      span.end();
      return approval;
    },
    (error: unknown) => {
      span.end();
      throw error;
    },
  );
}
