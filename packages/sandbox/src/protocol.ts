/**
 * The worker protocol: the pool and a worker exchange one JSON object per line over the worker's
 * stdin and stdout. These types are the contract a worker in any language implements.
 */

/** Pool -> worker. The bundled worker knows `ping`, `noop`, `echo` and `run`. */
export interface WorkerRequest {
  readonly id: string;
  readonly action: string;
  readonly params: unknown;
}

/** Worker -> pool: the result of request `id`, or its error. */
export type WorkerResponse =
  | { readonly id: string; readonly result: unknown }
  | { readonly id: string; readonly error: { readonly code: string; readonly message: string } };

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
  if ('result' in record) return { id: record.id, result: record.result };
  const error = record.error;
  if (error !== null && typeof error === 'object') {
    const { code, message } = error as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') return { id: record.id, error: { code, message } };
  }
  return undefined;
}
