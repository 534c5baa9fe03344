import { SandboxError } from '@agent-gateway/sandbox';
import { GatewayError, ToolFailedError } from '../errors/index.js';

const STATUS: Record<string, { status: number; code: string; message: string }> = {
  sandbox_busy: { status: 503, code: 'sandbox_busy', message: 'every sandbox worker is busy; try again shortly' },
  sandbox_timeout: { status: 504, code: 'sandbox_timeout', message: 'the sandboxed call did not finish in time' },
  sandbox_crashed: { status: 502, code: 'sandbox_failed', message: 'the sandbox worker crashed during the call' },
  sandbox_protocol_error: { status: 502, code: 'sandbox_failed', message: 'the sandbox worker broke the protocol' },
  sandbox_output_too_large: { status: 502, code: 'sandbox_failed', message: 'the sandbox worker produced too much output' },
  sandbox_request_too_large: { status: 413, code: 'payload_too_large', message: 'the call is too large for the sandbox' },
  sandbox_closed: { status: 503, code: 'sandbox_unavailable', message: 'the sandbox is shutting down' },
  sandbox_unavailable: { status: 503, code: 'sandbox_unavailable', message: 'the sandbox is not available' },
};

/**
 * A sandbox failure as the caller sees it. The worker's own error (`worker_error`) is the tool's
 * answer and keeps its code and message; everything else gets a fixed message, so nothing the worker
 * wrote to stderr reaches a client.
 */
export function sandboxFailure(tool: string, error: unknown): GatewayError {
  if (!(error instanceof SandboxError)) return new ToolFailedError(tool, error);
  if (error.code === 'worker_error') return new GatewayError(422, error.workerCode ?? 'tool_error', error.message, { cause: error });
  const mapped = STATUS[error.code] ?? { status: 502, code: 'sandbox_failed', message: 'the sandbox failed' };
  return new GatewayError(mapped.status, mapped.code, mapped.message, { cause: error });
}
