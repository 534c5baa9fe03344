import type { Caller } from './caller.js';

/** A tool call as a caller makes it. */
export interface ToolCallRequest {
  readonly tool: string;
  readonly args: unknown;
}

export interface ToolCallOptions {
  /** Default: anonymous. */
  readonly caller?: Caller;
  /** Aborts the run when the caller goes away. */
  readonly signal?: AbortSignal;
}

/** A finished call: its id, the tool and what the tool returned. */
export interface ToolCallOutcome {
  readonly callId: string;
  readonly tool: string;
  readonly result: unknown;
}
