import type { ToolProgress } from '../tools/tool-definition.js';
import type { TraceCarrier } from '../tracing/trace-context.js';
import type { Caller } from './caller.js';

/** A tool call as a caller makes it. */
export interface ToolCallRequest {
  readonly tool: string;
  readonly args: unknown;
  /** The web origin the args came from (normalised): its redaction rules apply where the args are shown. */
  readonly origin?: string;
}

/**
 * How the call reached the gateway, for the audit log: the route (`http`, `mcp`, ...) and, for
 * protocols whose clients name themselves (MCP's handshake), the client. Free text from the client
 * is scrubbed like every audit field.
 */
export interface ToolCallContext {
  readonly via?: string;
  readonly client?: { readonly name: string; readonly version: string };
  /**
   * The W3C trace context of the request that made the call. The gateway adds it to a call held for
   * approval, so that the run after the decision links to that request's span (OpenTelemetry).
   */
  readonly trace?: TraceCarrier;
}

/**
 * Options of `gateway.callTool(request, options)`: who calls, how to cancel, where it came from, progress.
 */
export interface ToolCallOptions {
  /** Default: anonymous. */
  readonly caller?: Caller;
  /** Aborts the run when the caller goes away. */
  readonly signal?: AbortSignal;
  /** Written into the call's audit entries (the approved run's too). */
  readonly context?: ToolCallContext;
  /**
   * Hears the tool's progress reports (`context.reportProgress`) while it runs. Only a call that
   * runs at once reports: one held for approval runs later, after this call has returned. A
   * listener that throws (or rejects) is logged and ignored; the call goes on.
   */
  readonly onProgress?: (progress: ToolProgress) => void;
}

/** The tool ran; `result` is what it returned. */
export interface ToolCallExecuted {
  readonly status: 'executed';
  readonly callId: string;
  readonly tool: string;
  readonly result: unknown;
}

/** The call needs a person's approval first; follow it with `gateway.approvals`. */
export interface ToolCallPending {
  readonly status: 'pending';
  readonly callId: string;
  readonly tool: string;
  readonly approvalId: string;
  readonly expiresAt: string;
}

/** What `callTool` returns: the result of a call that ran, or the approval a held call waits for. */
export type ToolCallOutcome = ToolCallExecuted | ToolCallPending;
