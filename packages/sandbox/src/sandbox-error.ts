/** Why a sandboxed call did not produce a result. Stable codes; the gateway maps them to HTTP statuses. */
export type SandboxErrorCode =
  | 'sandbox_busy'
  | 'sandbox_timeout'
  | 'sandbox_crashed'
  | 'sandbox_protocol_error'
  | 'sandbox_output_too_large'
  | 'sandbox_request_too_large'
  | 'sandbox_closed'
  | 'sandbox_unavailable'
  | 'worker_error';

/**
 * Every failure of the sandbox is a SandboxError (the runbook's incident procedure greps logs for the
 * name). `workerCode` carries the worker's own code when the worker answered with an error.
 */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;
  readonly workerCode: string | undefined;

  constructor(code: SandboxErrorCode, message: string, options: { cause?: unknown; workerCode?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.workerCode = options.workerCode;
  }
}
