import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { Approval, ApprovalState } from './approval.js';
import type { ApprovalFeed } from './approval-feed.js';
import type { ApprovalStore } from './approval-store.js';

/** The change an approval went through, as the SSE stream, webhooks and `change` listeners name it. */
export type ApprovalEventType =
  | 'approval.requested'
  | 'approval.progress'
  | 'approval.approved'
  | 'approval.rejected'
  | 'approval.expired'
  | 'approval.executed'
  | 'approval.failed';

/** One change of one approval. `seq` increases by one per change: the SSE event id. */
export interface ApprovalChange {
  readonly seq: number;
  readonly type: ApprovalEventType;
  readonly approval: Approval;
  /** Who made this change happen: the decider for approved/rejected. */
  readonly by?: Caller;
  /** Made by another process (through a shared feed): that process writes its audit entry and sends its webhooks. */
  readonly remote?: true;
}

/** The events of `gateway.approvals`: one `change` per transition of any approval. */
export interface ApprovalQueueEvents {
  change: [change: ApprovalChange];
}

/** Runs an approved call; the gateway supplies it (re-checking the caller, then the pipeline's execute step). */
export type ApprovedCallRunner = (approval: Approval) => Promise<unknown>;

/** Options of the approval queue: `new Gateway({ approvals: {...} })`. */
export interface ApprovalQueueOptions {
  readonly store?: ApprovalStore;
  /**
   * Shares changes with the other processes on the same store (waiters, streams, expiry) and numbers
   * them for all. Default: none, changes stay in this process.
   */
  readonly feed?: ApprovalFeed;
  /** How long a call waits for a decision: 1 ms..one year. Default 300 s (AGENT_GATEWAY_APPROVAL_TIMEOUT). */
  readonly timeoutMs?: number;
  /** Let a user approve their own call. Default false: a second person decides. */
  readonly allowSelfApproval?: boolean;
  /** How many recent changes are kept for `Last-Event-ID` replay. Default 1000. */
  readonly replayBuffer?: number;
  /** Finished approvals are dropped from the store after this long. Default one hour. */
  readonly retentionMs?: number;
  /**
   * How long an approved call may run before any process sharing the store calls it interrupted (failed,
   * `run_interrupted`): the process running it may have died, and without an outcome the approval would
   * stay `approved` for ever. It is never run again (at most once). 1 ms..one year; default 10 minutes.
   */
  readonly runTimeoutMs?: number;
  /** The clock, in epoch milliseconds (tests pass a fake one). */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** A year: the longest a held call may wait for its decision. */
export const MAX_APPROVAL_TIMEOUT_MS = 365 * 86_400_000;

/** The event each state is announced with (pending: `approval.requested`, or `approval.progress` for a quorum's vote). */
export const EVENT_OF_STATE: Record<Exclude<ApprovalState, 'pending'>, ApprovalEventType> = {
  approved: 'approval.approved',
  rejected: 'approval.rejected',
  // Stryker disable next-line StringLiteral: equivalent, an expiry is announced by #expire itself, never through this table
  expired: 'approval.expired',
  executed: 'approval.executed',
  failed: 'approval.failed',
};
