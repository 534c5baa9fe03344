import { trace, type Tracer } from '@opentelemetry/api';

/**
 * The gateway's tracer. Through `@opentelemetry/api` only: the host registers an SDK and exporter
 * (or does not, and every span is the API's no-op). A proxy, so a provider registered after this
 * module loaded is still used.
 */
export const tracer: Tracer = trace.getTracer('@agent-gateway/core');

/** What the gateway's spans record beyond what they always do. */
export interface TracingOptions {
  /**
   * Put each tool call's arguments on its span (`gen_ai.tool.call.arguments`), after the origin's
   * redaction rules and the secret scrubber, cut at 4 KiB. Default false: arguments are never recorded.
   */
  readonly recordArguments?: boolean;
}
