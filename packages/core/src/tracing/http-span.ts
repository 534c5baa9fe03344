import { context, INVALID_SPAN_CONTEXT, isSpanContextValid, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { GatewayRequest, GatewayResponse } from '../http/types.js';
import { ATTR } from './attributes.js';
import { extractFromHeaders } from './trace-context.js';
import { tracer, tracingRegistered } from './tracer.js';

/**
 * Serves one request inside a server span. When the host's framework instrumentation (Express's,
 * `@fastify/otel`, Node's http) already made one, that span is joined, not duplicated: the gateway's
 * spans become its children. Otherwise the incoming `traceparent`/`tracestate` are honoured and a
 * SERVER span `{method} {route}` is started, ended when the response is ready (an event stream's
 * span ends when the stream starts).
 */
export function traceRequest(request: GatewayRequest, serve: (span: Span | undefined) => Promise<GatewayResponse | undefined>): Promise<GatewayResponse | undefined> {
  if (!tracingRegistered()) return serve(undefined);
  const active = context.active();
  if (trace.getSpan(active)?.isRecording() === true) return serve(undefined);
  const parent = extractFromHeaders(request.headers, active);
  const method = request.method.toUpperCase();
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
  const spanContext = span.spanContext();
  if (spanContext === INVALID_SPAN_CONTEXT || !isSpanContextValid(spanContext)) return serve(undefined);
  const recording = span.isRecording();
  if (recording) span.setAttribute(ATTR.httpMethod, method);
  return context.with(trace.setSpan(parent, span), () => serve(recording ? span : undefined)).then(
    (response) => {
      if (recording && response !== undefined) {
        span.setAttribute(ATTR.httpStatus, response.status);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      return response;
    },
    (error: unknown) => {
      span.end();
      throw error;
    },
  );
}

/** The route a request matched, onto its server span (name `{method} {route}`, `http.route`, `url.path`). */
export function nameRoute(span: Span | undefined, method: string, route: string, path: string): void {
  if (span === undefined) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute(ATTR.httpRoute, route);
  span.setAttribute(ATTR.urlPath, path);
}
