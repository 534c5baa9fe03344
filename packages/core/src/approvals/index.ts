export { ApprovalQueue } from './approval-queue.js';
export type { ApprovalChange, ApprovalEventType, ApprovalQueueEvents, ApprovalQueueOptions, ApprovedCallRunner } from './approval-queue.js';
export type { ApprovalFeed, ApprovalFeedChange, ApprovalFeedListener } from './approval-feed.js';
export { MemoryApprovalStore } from './approval-store.js';
export type { ApprovalStore, ApprovalVote, TransitionResult, VoteResult } from './approval-store.js';
export { digestOf, FINAL_STATES, summaryOf, viewOf } from './approval.js';
export type { Approval, ApprovalDecision, ApprovalState, ApprovalSummary, ApprovalView } from './approval.js';
export {
  AlreadyApprovedError,
  ApprovalConflictError,
  ApprovalDigestMismatchError,
  ApprovalExpiredError,
  ApprovalRejectedError,
  SelfApprovalError,
} from './approval-errors.js';
export { approvalEventStream } from './approval-stream.js';
export type { ApprovalStreamOptions } from './approval-stream.js';
export { settledResult } from './call-outcome.js';
export { sendApprovalWebhooks, webhookSignature } from './approval-webhooks.js';
export type { WebhookOptions } from './approval-webhooks.js';
