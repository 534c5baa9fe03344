import { NotFoundError } from '../errors/index.js';
import { normalizeUsername, sameUsername } from '../auth/username.js';
import type { Caller } from '../pipeline/caller.js';
import type { Approval, ApprovalDecision } from './approval.js';
import { AlreadyApprovedError, ApprovalConflictError, SelfApprovalError } from './approval-errors.js';
import { hasApproved, type ApprovalStore } from './approval-store.js';

/** The most approvers a call may need: more than a handful of people is a process, not a gate. */
export const MAX_APPROVERS = 10;

/**
 * Whether `decider` may decide this pending approval. Nobody decides their own call, unless the queue
 * allows self-approval and the call needs one person only: in a quorum the caller never counts.
 * An approver who has approved already may still reject, never approve again.
 */
export function mayDecide(approval: Approval, decider: Caller, allowSelfApproval: boolean, decision: 'approve' | 'reject'): void {
  const quorum = (approval.required ?? 1) > 1;
  const own = decider.kind === 'user' && approval.caller.kind === 'user' && sameUsername(decider.id, approval.caller.id);
  if (own && (quorum || !allowSelfApproval)) throw new SelfApprovalError();
  // Stryker disable next-line StringLiteral: a fast refusal only; the store's atomic addApproval refuses the same second approval with the same 409
  if (decision === 'approve' && decider.kind === 'user' && hasApproved(approval, normalizeUsername(decider.id))) throw new AlreadyApprovedError(approval.id);
}

/**
 * Counts `decider`'s approval of a call that needs `required` people, through the store's atomic
 * `addApproval`: the approval still pending with one more vote, or approved if this vote completed it.
 */
export async function castVote(store: ApprovalStore, id: string, decider: Caller, decision: ApprovalDecision, required: number): Promise<Approval> {
  if (store.addApproval === undefined) throw new TypeError('this approval store cannot count several approvers (no addApproval)');
  const result = await store.addApproval(id, { voter: normalizeUsername(decider.id), decision }, required);
  if (result.ok) return result.approval;
  if (result.current === undefined) throw new NotFoundError(`no approval ${JSON.stringify(id)}`);
  if (result.duplicate === true) throw new AlreadyApprovedError(id);
  throw new ApprovalConflictError(id, result.current.state);
}
