import { ERROR_STATUS } from './error-codes.js';
import { GatewayError } from './gateway-error.js';

/** The code and status a tool's `ToolError` reports to the caller. */
export interface ToolErrorOptions {
  /** Stable, machine-readable code the agent can branch on. Default `tool_error`. */
  readonly code?: string;
  /** A 4xx or 5xx status. Default 422: the tool understood the call and could not do it. */
  readonly status?: number;
  readonly cause?: unknown;
}

/**
 * Thrown by a tool's `run` to report a failure whose message is meant for the caller
 * ("file exists", "quota reached"). Any other error a tool throws is reported as
 * `tool_failed` with no message, so a tool cannot leak internals by accident.
 *
 * A tool's codes are its own and stay outside the error table: `code` is any string and `status`
 * the tool's choice (default `ERROR_STATUS.tool_error`, 422).
 *
 * @example
 * ```ts
 * throw new ToolError('the scratch directory is full', { code: 'scratch_full', status: 507 });
 * ```
 */
export class ToolError extends GatewayError {
  override readonly name = 'ToolError';
  constructor(message: string, options: ToolErrorOptions = {}) {
    const status = options.status ?? ERROR_STATUS.tool_error;
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`ToolError status must be 400..599, got ${status}`);
    }
    super(status, options.code ?? 'tool_error', message, { cause: options.cause });
  }
}

/** 500: a tool threw something that was not a ToolError. The cause is logged, not sent. */
export class ToolFailedError extends GatewayError {
  override readonly name = 'ToolFailedError';
  readonly tool: string;
  constructor(tool: string, cause: unknown) {
    super('tool_failed', `tool ${JSON.stringify(tool)} failed`, { cause });
    this.tool = tool;
  }
}
