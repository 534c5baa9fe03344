import { context, INVALID_SPAN_CONTEXT, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Link, type Span } from '@opentelemetry/api';
import { failureOf } from '../errors/index.js';
import { scrubSecrets } from '../redaction/scrub-secrets.js';
import type { ToolCallContext } from '../pipeline/tool-call.js';
import { ATTR, EXECUTE_TOOL } from './attributes.js';
import { activeCarrier, parseTraceparent } from './trace-context.js';
import { tracer, tracingRegistered, type TracingOptions } from './tracer.js';

/** The tool-call spans this module started: only these get the pipeline's outcome attributes. */
const toolSpans = new WeakSet<Span>();

/** Shared, not made per call: the options of a span without links. */
const INTERNAL = { kind: SpanKind.INTERNAL } as const;

/** Longest `gen_ai.tool.call.arguments` value, in characters. */
const MAX_ARGUMENTS = 4096;

/** One tool call as its span describes it. `args` is read only when arguments are recorded. */
export interface TracedCall {
  readonly tool: string;
  readonly callId: string;
  readonly context?: ToolCallContext | undefined;
  readonly tracing?: TracingOptions | undefined;
  /** The args as they may be shown (the origin's redaction applied); scrubbed of secrets here. */
  readonly shownArgs?: () => unknown;
  readonly approvalId?: string;
  readonly links?: Link[];
}

function argumentsText(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(scrubSecrets(args)) ?? 'null';
  } catch {
    return '[unserialisable]';
  }
  return text.length > MAX_ARGUMENTS ? `${text.slice(0, MAX_ARGUMENTS)}…` : text;
}

/**
 * Runs `run` inside an `execute_tool {tool}` span (GenAI semantic conventions) and ends the span when
 * it settles: error status and `agent_gateway.error.code` on a rejection. Without an SDK and without
 * an incoming trace the span is the API's invalid no-op and `run` is called as it is: no context is
 * made, no attribute object built.
 */
export function traceToolCall<T>(call: TracedCall, run: () => Promise<T>): Promise<T> {
  if (!tracingRegistered()) return run();
  const span = tracer.startSpan(`${EXECUTE_TOOL} ${call.tool}`, call.links === undefined ? INTERNAL : { kind: SpanKind.INTERNAL, links: call.links });
  // The no-op API's span (no SDK, no incoming trace) has the one invalid context object: no regex needed.
  const spanContext = span.spanContext();
  if (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext)) return run();
  const recording = span.isRecording();
  if (recording) {
    toolSpans.add(span);
    span.setAttribute(ATTR.operationName, EXECUTE_TOOL);
    span.setAttribute(ATTR.toolName, call.tool);
    span.setAttribute(ATTR.toolCallId, call.callId);
    const via = call.context?.via;
    if (typeof via === 'string') span.setAttribute(ATTR.via, via);
    if (call.approvalId !== undefined) span.setAttribute(ATTR.approvalId, call.approvalId);
    if (call.tracing?.recordArguments === true && call.shownArgs !== undefined) span.setAttribute(ATTR.toolCallArguments, argumentsText(call.shownArgs()));
  }
  return context.with(trace.setSpan(context.active(), span), run).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      if (recording) {
        const { code } = failureOf(error);
        span.setAttribute(ATTR.errorCode, code);
        span.setAttribute(ATTR.errorType, code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      }
      span.end();
      throw error;
    },
  );
}

/** The active span if it is a tool call's that is recording. */
function activeToolSpan(): Span | undefined {
  if (!tracingRegistered()) return undefined;
  const span = trace.getActiveSpan();
  return span !== undefined && toolSpans.has(span) ? span : undefined;
}

/** What the pipeline audits about a call, onto its span: outcome, approval id, error code. */
export function noteCallOutcome(outcome: {
  readonly outcome: string;
  readonly code?: string | undefined;
  readonly approval_id?: string | undefined;
  readonly policies?: readonly string[] | undefined;
}): void {
  const span = activeToolSpan();
  if (span === undefined) return;
  span.setAttribute(ATTR.outcome, outcome.outcome);
  if (outcome.policies !== undefined && outcome.policies.length > 0) span.setAttribute(ATTR.policyIds, [...outcome.policies]);
  if (outcome.approval_id !== undefined) span.setAttribute(ATTR.approvalId, outcome.approval_id);
  if (outcome.code !== undefined) span.setAttribute(ATTR.errorCode, outcome.code);
}

/** Which sandbox runs the active tool call (`pool`, `docker`), onto its span. */
export function noteSandboxMode(mode: string): void {
  activeToolSpan()?.setAttribute(ATTR.sandboxMode, mode);
}

/**
 * The ids of the policies that decided the active tool call, onto its span
 * (`agent_gateway.policy.ids`): for a policy engine that runs inside the pipeline.
 */
export function tracePolicyIds(ids: readonly string[]): void {
  if (ids.length > 0) activeToolSpan()?.setAttribute(ATTR.policyIds, [...ids]);
}

/**
 * The call's context with the active span's W3C context added, for an approval to keep: the run
 * that follows the decision links back to the request that asked. `{}` when there is nothing to keep.
 */
export function approvalContextOf(callContext: ToolCallContext | undefined): { context?: ToolCallContext } {
  const carrier = tracingRegistered() ? activeCarrier() : undefined;
  if (carrier === undefined) return callContext === undefined ? {} : { context: callContext };
  return { context: { ...callContext, trace: carrier } };
}

/** A link to the span a stored context names (the request that asked for an approval), if it names one. */
export function linksTo(carrier: { readonly traceparent?: unknown; readonly tracestate?: unknown } | undefined, approvalId: string): Link[] | undefined {
  if (carrier === undefined) return undefined;
  const spanContext = parseTraceparent(carrier.traceparent, carrier.tracestate);
  return spanContext === undefined ? undefined : [{ context: spanContext, attributes: { [ATTR.approvalId]: approvalId } }];
}
