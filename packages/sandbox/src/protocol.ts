/**
 * The worker protocol: the pool and a worker exchange one JSON object per line over the worker's
 * stdin and stdout. These types are the contract a worker in any language implements.
 */

/**
 * W3C Trace Context (OpenTelemetry): on a request, the span the worker's work belongs to; on a
 * response, the span the worker did it in (same trace id, its own span id), if it continued the trace.
 */
export interface WorkerTrace {
  /** `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. */
  readonly traceparent: string;
  readonly tracestate?: string;
}

/**
 * Pool -> worker. The bundled worker knows `ping`, `noop`, `echo` and `run`. `trace` is sent when
 * the call is part of a trace; a worker may ignore it, or continue the trace and say so in its answer.
 */
export interface WorkerRequest {
  readonly id: string;
  readonly action: string;
  readonly params: unknown;
  readonly trace?: WorkerTrace;
}

/** Worker -> pool: the result of request `id`, or its error; `trace` when the worker continued the request's trace. */
export type WorkerResponse =
  | { readonly id: string; readonly result: unknown; readonly trace?: WorkerTrace }
  | { readonly id: string; readonly error: { readonly code: string; readonly message: string }; readonly trace?: WorkerTrace };

/** Largest request line sent to a worker (bytes). */
export const MAX_WORKER_REQUEST_BYTES = 256 * 1024;
/** Largest response line accepted from a worker (bytes); beyond it the worker counts as crashed. */
export const MAX_WORKER_RESPONSE_BYTES = 1024 * 1024;

/**
 * Reads one line a worker wrote as a response, or undefined when it is not one (the worker broke the
 * protocol).
 */
export function parseWorkerResponse(line: string): WorkerResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'string') return undefined;
  const trace = traceOf(record.trace);
  if ('result' in record) return trace === undefined ? { id: record.id, result: record.result } : { id: record.id, result: record.result, trace };
  const error = record.error;
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') return trace === undefined ? { id: record.id, error: { code, message } } : { id: record.id, error: { code, message }, trace };
  }
  return undefined;
}

/** A response's `trace`, when it is one; anything else there is ignored (it is optional). */
function traceOf(value: unknown): WorkerTrace | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { traceparent, tracestate } = value as Record<string, unknown>;
  if (typeof traceparent !== 'string' || traceparent.length > 55) return undefined;
  return typeof tracestate === 'string' && tracestate.length <= 512 ? { traceparent, tracestate } : { traceparent };
}
