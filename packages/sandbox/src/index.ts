/**
 * The worker protocol: the pool and a worker exchange one JSON object per line over the
 * worker's stdin and stdout. The pool itself (SandboxPool) and the bundled worker come next;
 * these types are the contract a worker in any language implements.
 */

/** Pool -> worker. `action` is `ping`, `noop`, `echo` or `run` for the bundled worker. */
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
