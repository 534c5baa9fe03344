import { trace, type Tracer } from '@opentelemetry/api';

/**
 * The gateway's tracer. Through `@opentelemetry/api` only: the host registers an SDK and exporter
 * (or does not, and every span is the API's no-op). A proxy, so a provider registered after this
 * module loaded is still used.
 */
export const tracer: Tracer = trace.getTracer('@agent-gateway/core');

/**
 * Where `@opentelemetry/api` 1.x keeps what was registered with it (tracer provider, context manager,
 * propagator, diag): one object under this well-known symbol, shared by every copy of the 1.x API in
 * the process so that they interoperate. Reading it is one property lookup.
 */
const API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether a tracer provider or a context manager is registered (an SDK registers both). Without
 * either, every span is the API's invalid no-op and the active context is always empty, so the
 * tracing code returns at once: a call costs a property read instead of a round of API calls.
 */
export function tracingRegistered(): boolean {
  const registered = (globalThis as { [API_GLOBALS]?: { trace?: unknown; context?: unknown } })[API_GLOBALS];
  return registered !== undefined && (registered.trace !== undefined || registered.context !== undefined);
}

/** What the gateway's spans record beyond what they always do. */
export interface TracingOptions {
  /**
   * Put each tool call's arguments on its span (`gen_ai.tool.call.arguments`), after the origin's
   * redaction rules and the secret scrubber, cut at 4 KiB. Default false: arguments are never recorded.
   */
  readonly recordArguments?: boolean;
}
