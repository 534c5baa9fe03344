import type { ApprovalChange } from './approval-queue.js';

/** A change as the feed carries it: `source` names the queue (process) that made it. */
export interface ApprovalFeedChange extends ApprovalChange {
  readonly source: string;
}

/** What an `ApprovalFeed` subscriber is told: the changes kept for replay, then every new one. */
export interface ApprovalFeedListener {
  /** Changes made before this subscriber joined, oldest first: kept for replay, not announced again. */
  history(changes: readonly ApprovalFeedChange[]): void;
  /** Every change from now on, this process's own included, in `seq` order. */
  change(change: ApprovalFeedChange): void;
}

/**
 * Carries approval changes between the processes that share an approval store, so a waiter or a
 * stream client on one process sees a decision made on another. The feed numbers the changes
 * (`seq`, the SSE event id), one sequence for all processes, so `Last-Event-ID` means the same
 * everywhere. Without a feed the queue numbers and announces its own changes, in-process.
 */
export interface ApprovalFeed {
  /** Appends a change for every subscriber; the feed gives it its `seq`. */
  publish(change: Omit<ApprovalFeedChange, 'seq'>): Promise<void>;
  /** Starts delivering; the function returned stops it. */
  subscribe(listener: ApprovalFeedListener): () => void;
}
