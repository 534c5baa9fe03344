import { SandboxError } from '@agent-gateway/sandbox';
import { GatewayError, ToolError, ToolFailedError, type GatewayErrorCode } from '../errors/index.js';

// Statuses come from the codes (ERROR_STATUS); several sandbox failures share one code.
const FAILURE: Record<string, { code: GatewayErrorCode; message: string }> = {
  sandbox_busy: { code: 'sandbox_busy', message: 'every sandbox worker is busy; try again shortly' },
  sandbox_timeout: { code: 'sandbox_timeout', message: 'the sandboxed call did not finish in time' },
  sandbox_crashed: { code: 'sandbox_failed', message: 'the sandbox worker crashed during the call' },
  sandbox_protocol_error: { code: 'sandbox_failed', message: 'the sandbox worker broke the protocol' },
  sandbox_output_too_large: { code: 'sandbox_failed', message: 'the sandbox worker produced too much output' },
  sandbox_request_too_large: { code: 'payload_too_large', message: 'the call is too large for the sandbox' },
  sandbox_closed: { code: 'sandbox_unavailable', message: 'the sandbox is shutting down' },
  sandbox_unavailable: { code: 'sandbox_unavailable', message: 'the sandbox is not available' },
};

/**
 * A sandbox failure as the caller sees it. The worker's own error (`worker_error`) is the tool's
 * answer (a ToolError) and keeps its code and message; everything else gets a fixed message, so nothing the worker
 * wrote to stderr reaches a client.
 */
export function sandboxFailure(tool: string, error: unknown): GatewayError {
  if (!(error instanceof SandboxError)) return new ToolFailedError(tool, error);
  if (error.code === 'worker_error') return new ToolError(error.message, { code: error.workerCode ?? 'tool_error', cause: error });
  const mapped = FAILURE[error.code] ?? { code: 'sandbox_failed', message: 'the sandbox failed' };
  return new GatewayError(mapped.code, mapped.message, { cause: error });
}
