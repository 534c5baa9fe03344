import type { Approval, ApprovalState } from './approval.js';

/**
 * What `ApprovalStore.transition` answers: the approval as changed, or the current one when it was not in a
 * `from` state.
 */
export type TransitionResult =
  | { readonly ok: true; readonly approval: Approval }
  | { readonly ok: false; readonly current: Approval | undefined };

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
