import { normalizeUsername } from '../auth/username.js';
import type { Approval, ApprovalDecision, ApprovalState } from './approval.js';

/**
 * What `ApprovalStore.transition` answers: the approval as changed, or the current one when it was not in a
 * `from` state.
 */
export type TransitionResult =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly current: Approval | undefined };

/**
 * One approver's approval of a call that needs several: `voter` is their normalised username, the key
 * that makes "nobody approves twice" hold.
 */
export interface ApprovalVote {
  readonly voter: string;
  readonly decision: ApprovalDecision;
}

/**
 * What `ApprovalStore.addApproval` answers: the approval with the vote counted (still pending, or
 * approved when it completed the quorum), or the current one when it is no longer pending or this voter
 * had already approved (`duplicate`).
 */
export type VoteResult =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly current: Approval | undefined; readonly duplicate?: true };

/**
 * Where approvals live. `transition` is a compare-and-set: it applies `patch` only if the approval
 * is in one of `from`, atomically, so that of concurrent decisions exactly one wins. A shared store
 * (Redis, a database) lets several gateway processes share one queue.
 */
export interface ApprovalStore {
  /** Stores a new approval; its id must be new. */
  insert(approval: Approval): Promise<void>;
  /** One approval, or undefined when there is none of that id. */
  get(id: string): Promise<Approval | undefined>;
  /** Every approval, or those in one state. */
  list(filter?: { readonly state?: ApprovalState }): Promise<Approval[]>;
  /**
   * Applies `patch` only if the approval is in one of the `from` states, atomically: of concurrent
   * transitions exactly one wins.
   */
  transition(id: string, from: readonly ApprovalState[], patch: Partial<Approval>): Promise<TransitionResult>;
  /** Drops finished approvals older than `before` (epoch ms), so memory does not grow forever. */
  prune(before: number): Promise<number>;
  /**
   * Counts one approval of a pending call that needs `required` approvers, atomically: appends the vote
   * to `approvals` unless this voter is there already, and moves the call to `approved` (with the vote as
   * its `decision`) when the count reaches `required`. Of concurrent votes each is counted once and
   * exactly one completes the quorum. A store without it cannot hold calls that need more than one person.
   */
  addApproval?(id: string, vote: ApprovalVote, required: number): Promise<VoteResult>;
}

/** Whether `voter` is among the approval's approvers (usernames compared as the gateway compares them). */
export function hasApproved(approval: Approval, voter: string): boolean {
  return (approval.approvals ?? []).some((vote) => normalizeUsername(vote.by) === voter);
}

export class MemoryApprovalStore implements ApprovalStore {
  readonly #approvals = new Map<string, Approval>();

  async insert(approval: Approval): Promise<void> {
    if (this.#approvals.has(approval.id)) throw new Error(`approval ${approval.id} exists`);
    this.#approvals.set(approval.id, approval);
  }

  async get(id: string): Promise<Approval | undefined> {
    return this.#approvals.get(id);
  }

  async list(filter: { readonly state?: ApprovalState } = {}): Promise<Approval[]> {
    const all = [...this.#approvals.values()];
    return filter.state === undefined ? all : all.filter((a) => a.state === filter.state);
  }

  // Synchronous between the read and the write, so it is atomic within the process.
  async transition(id: string, from: readonly ApprovalState[], patch: Partial<Approval>): Promise<TransitionResult> {
    const current = this.#approvals.get(id);
    if (current === undefined || !from.includes(current.state)) return { ok: false, current };
    const next: Approval = { ...current, ...patch, id: current.id };
    this.#approvals.set(id, next);
    return { ok: true, approval: next };
  }

  // Synchronous between the read and the write, so it is atomic within the process.
  async addApproval(id: string, vote: ApprovalVote, required: number): Promise<VoteResult> {
    const current = this.#approvals.get(id);
    if (current === undefined || current.state !== 'pending') return { ok: false, current };
    if (hasApproved(current, vote.voter)) return { ok: false, current, duplicate: true };
    const approvals = [...(current.approvals ?? []), vote.decision];
    const next: Approval = approvals.length >= required ? { ...current, approvals, state: 'approved', decision: vote.decision } : { ...current, approvals };
    this.#approvals.set(id, next);
    return { ok: true, approval: next };
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    for (const [id, approval] of this.#approvals) {
      const finishedAt = approval.decision?.at ?? approval.expiresAt;
      if (approval.state !== 'pending' && approval.state !== 'approved' && Date.parse(finishedAt) < before) {
        this.#approvals.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
