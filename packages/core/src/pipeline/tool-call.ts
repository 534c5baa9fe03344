import type { Caller } from './caller.js';

/** A tool call as a caller makes it. */
export interface ToolCallRequest {
  readonly tool: string;
  readonly args: unknown;
  /** The web origin the args came from (normalised): its redaction rules apply where the args are shown. */
  readonly origin?: string;
}

export interface ToolCallOptions {
  /** Default: anonymous. */
  readonly caller?: Caller;
  /** Aborts the run when the caller goes away. */
  readonly signal?: AbortSignal;
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

export type ToolCallOutcome = ToolCallExecuted | ToolCallPending;
