import { context, createTraceState, isSpanContextValid, propagation, trace, TraceFlags, type Context, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { tracingRegistered } from './tracer.js';

/**
 * A span's context as W3C Trace Context text: what the gateway stores with an approval and hands to
 * sandbox workers and upstream MCP servers (`_meta`), so that they can continue the trace.
 */
export interface TraceCarrier {
  /** `00-<trace id>-<span id>-<flags>`. */
  readonly traceparent: string;
  readonly tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
/** Enough for the 32 list members the W3C allows; anything longer is not passed on. */
const MAX_TRACESTATE = 512;

/** The W3C `traceparent` of a span context. */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * The span context a `traceparent` (and `tracestate`) names, or undefined for text that is not one
 * (version ff, all-zero ids, a malformed field): a bad header is ignored, never an error.
 */
export function parseTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const [, version, traceId, spanId, flags] = TRACEPARENT.exec(traceparent.trim()) ?? [];
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  // Version 00 has exactly four fields; ff is forbidden.
  if (version === 'ff' || (version === '00' && traceparent.trim().length !== 55)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= MAX_TRACESTATE) {
    return { ...spanContext, traceState: createTraceState(tracestate) };
  }
  return spanContext;
}

/** The carrier of a span context (undefined for an invalid one: no span, or the no-op API's). */
export function carrierOf(spanContext: SpanContext | undefined): TraceCarrier | undefined {
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return undefined;
  const tracestate = spanContext.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent: formatTraceparent(spanContext) } : { traceparent: formatTraceparent(spanContext), tracestate };
}

/** The carrier of the active span, if there is one with a valid context. Cheap with no SDK: the active context is empty. */
export function activeCarrier(active?: Context): TraceCarrier | undefined {
  if (active === undefined && !tracingRegistered()) return undefined;
  return carrierOf(trace.getSpanContext(active ?? context.active()));
}

/** The trace id of the active span, if any (for audit entries, log lines and exemplars). */
export function activeTraceId(active?: Context): string | undefined {
  if (active === undefined && !tracingRegistered()) return undefined;
  const spanContext = trace.getSpanContext(active ?? context.active());
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** A context whose parent is the carrier's remote span (the root context when the carrier is unusable). */
export function contextFromCarrier(carrier: { readonly traceparent?: unknown; readonly tracestate?: unknown } | undefined, base: Context = context.active()): Context | undefined {
  if (carrier === undefined) return undefined;
  const spanContext = parseTraceparent(carrier.traceparent, carrier.tracestate);
  return spanContext === undefined ? undefined : trace.setSpanContext(base, spanContext);
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key.toLowerCase()];
    return typeof value === 'string' ? value : value?.[0];
  },
};

/**
 * The context an incoming request's headers name: through the host's registered propagator (W3C,
 * B3, ... as the SDK set up), and failing that the W3C `traceparent`/`tracestate` read directly, so
 * that a host which registered a tracer but no propagator still continues its callers' traces.
 */
export function extractFromHeaders(headers: Headers, base: Context): Context {
  const extracted = propagation.extract(base, headers, headerGetter);
  if (trace.getSpanContext(extracted) !== undefined) return extracted;
  return contextFromCarrier({ traceparent: headerGetter.get(headers, 'traceparent'), tracestate: headerGetter.get(headers, 'tracestate') }, base) ?? base;
}

/**
 * Headers carrying the active context to a server the gateway calls: the registered propagator's,
 * plus W3C `traceparent`/`tracestate` if it wrote none.
 */
export function traceHeaders(active?: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  if (active === undefined && !tracingRegistered()) return headers;
  const from = active ?? context.active();
  propagation.inject(from, headers);
  if (headers.traceparent === undefined) {
    const carrier = activeCarrier(from);
    if (carrier !== undefined) {
      headers.traceparent = carrier.traceparent;
      if (carrier.tracestate !== undefined) headers.tracestate = carrier.tracestate;
    }
  }
  return headers;
}
