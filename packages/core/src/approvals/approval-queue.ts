import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { ERROR_STATUS, GatewayError, NotFoundError, ToolFailedError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { ToolCallContext } from '../pipeline/tool-call.js';
import { setLongTimeout, type LongTimeout } from '../timers/long-timeout.js';
import { digestOf, FINAL_STATES, type Approval, type ApprovalState } from './approval.js';
import { ApprovalConflictError, ApprovalDigestMismatchError } from './approval-errors.js';
import { MemoryApprovalStore, type ApprovalStore } from './approval-store.js';
import type { ApprovalFeed, ApprovalFeedChange } from './approval-feed.js';
import { EVENT_OF_STATE, MAX_APPROVAL_TIMEOUT_MS, type ApprovalChange, type ApprovalEventType, type ApprovalQueueEvents, type ApprovalQueueOptions, type ApprovedCallRunner } from './approval-events.js';
import { castVote, MAX_APPROVERS, mayDecide } from './approval-quorum.js';

export type { ApprovalChange, ApprovalEventType, ApprovalQueueEvents, ApprovalQueueOptions, ApprovedCallRunner } from './approval-events.js';

/**
 * Holds risky tool calls until a person approves or rejects them, or they expire. Each approval
 * is bound to its exact call (tool + args digest + caller) and runs at most once. Every change is
 * an event (`change`), kept briefly for replay to reconnecting stream clients.
 */
export class ApprovalQueue extends EventEmitter<ApprovalQueueEvents> {
  readonly timeoutMs: number;
  readonly #store: ApprovalStore;
  readonly #allowSelfApproval: boolean;
  readonly #replayLimit: number;
  readonly #retentionMs: number;
  readonly #runTimeoutMs: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  readonly #timers = new Map<string, LongTimeout>();
  readonly #recent: ApprovalChange[] = [];
  readonly #feed: ApprovalFeed | undefined;
  readonly #source = randomUUID();
  readonly #unsubscribe: (() => void) | undefined;
  #runner: ApprovedCallRunner | undefined;
  #seq = 0;
  #lastPrune = 0;

  constructor(options: ApprovalQueueOptions = {}) {
    super();
    this.#store = options.store ?? new MemoryApprovalStore();
    this.timeoutMs = options.timeoutMs ?? 300_000;
    // Bounded so every `expiresAt` is a real date; the wait itself may exceed Node's timer maximum.
    if (!(this.timeoutMs >= 1 && this.timeoutMs <= MAX_APPROVAL_TIMEOUT_MS)) throw new RangeError(`approvals timeoutMs must be 1..${MAX_APPROVAL_TIMEOUT_MS} ms, got ${this.timeoutMs}`);
    this.#allowSelfApproval = options.allowSelfApproval ?? false;
    this.#replayLimit = options.replayBuffer ?? 1000;
    this.#retentionMs = options.retentionMs ?? 3_600_000;
    this.#runTimeoutMs = options.runTimeoutMs ?? 600_000;
    if (!(this.#runTimeoutMs >= 1 && this.#runTimeoutMs <= MAX_APPROVAL_TIMEOUT_MS)) throw new RangeError(`approvals runTimeoutMs must be 1..${MAX_APPROVAL_TIMEOUT_MS} ms, got ${this.#runTimeoutMs}`);
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.#feed = options.feed;
    this.#unsubscribe = this.#feed?.subscribe({
      history: (changes) => {
        for (const change of changes) this.#remember(change);
      },
      change: (change) => this.#deliver(change),
    });
  }

  /** Set once by the gateway: how an approved call is run. */
  setRunner(runner: ApprovedCallRunner): void {
    this.#runner = runner;
  }

  /** Holds a call. The digest binds the approval to exactly these args. */
  async request(call: {
    callId: string;
    tool: string;
    args: unknown;
    caller: Caller;
    origin?: string;
    context?: ToolCallContext;
    /** How many distinct people must approve (a policy's quorum). Default one. */
    required?: number;
    /** The policies that held the call. */
    policies?: readonly string[];
  }): Promise<Approval> {
    const required = call.required ?? 1;
    if (!(Number.isInteger(required) && required >= 1 && required <= MAX_APPROVERS)) throw new RangeError(`an approval needs 1..${MAX_APPROVERS} approvers, got ${required}`);
    // Refused before anything is held: a store that cannot count would strand the call.
    if (required > 1 && this.#store.addApproval === undefined) throw new TypeError('this approval store cannot count several approvers (no addApproval)');
    await this.#pruneNow();
    const now = this.#now();
    const approval: Approval = {
      id: randomUUID(),
      callId: call.callId,
      tool: call.tool,
      args: call.args,
      digest: digestOf(call.tool, call.args),
      caller: call.caller,
      ...(call.origin === undefined ? {} : { origin: call.origin }),
      ...(call.context === undefined ? {} : { context: call.context }),
      ...(required > 1 ? { required, approvals: [] } : {}),
      ...(call.policies === undefined ? {} : { policies: [...call.policies] }),
      state: 'pending',
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.timeoutMs).toISOString(),
    };
    await this.#store.insert(approval);
    this.#expireAfter(approval.id, this.timeoutMs);
    this.#publish('approval.requested', approval);
    return approval;
  }

  /** The approval, with expiry applied if its timer has not fired yet; 404 if unknown. */
  async get(id: string): Promise<Approval> {
    const approval = await this.#store.get(id);
    if (approval === undefined) throw new NotFoundError(`no approval ${JSON.stringify(id)}`);
    if (approval.state === 'pending' && Date.parse(approval.expiresAt) <= this.#now()) return (await this.#expire(id)) ?? approval;
    if (this.#runOverdue(approval)) return (await this.#interrupt(id)) ?? approval;
    return approval;
  }

  /**
   * The approvals, optionally of one state; an approved call whose run outlived the run timeout is closed as
   * failed first.
   */
  async list(filter: { state?: ApprovalState } = {}): Promise<Approval[]> {
    const listed = await this.#store.list(filter);
    // A run whose process died is closed by whoever looks next, so a listing never shows it running for ever.
    const approvals = await Promise.all(listed.map(async (a) => (this.#runOverdue(a) ? ((await this.#interrupt(a.id)) ?? a) : a)));
    const kept = filter.state === undefined ? approvals : approvals.filter((a) => a.state === filter.state);
    return kept.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /**
   * Approves and runs the call, once. Resolves with the approval in its final state (executed or
   * failed); for a call that needs several approvers, with it still pending until the last one approves
   * (each approval counted once, atomically, and announced as `approval.progress`).
   */
  async approve(id: string, decider: Caller, reason?: string): Promise<Approval> {
    const pending = await this.#pendingFor(id, decider, 'approve');
    const decision = { by: decider.id, at: new Date(this.#now()).toISOString(), ...(reason === undefined ? {} : { reason }) };
    const required = pending.required ?? 1;
    let approved: Approval;
    if (required > 1) {
      approved = await castVote(this.#store, id, decider, decision, required);
      this.#publish(approved.state === 'pending' ? 'approval.progress' : 'approval.approved', approved, decider);
      if (approved.state === 'pending') return approved;
    } else {
      approved = await this.#transition(id, ['pending'], { state: 'approved', decision }, decider);
    }
    this.#clearTimer(id);
    this.#interruptAfter(id, this.#runTimeoutMs);
    if (digestOf(approved.tool, approved.args) !== pending.digest || approved.digest !== pending.digest) {
      await this.#transition(id, ['approved'], {
        state: 'failed',
        error: { code: 'digest_mismatch', message: 'the held call changed after it was requested', status: ERROR_STATUS.digest_mismatch },
      });
      throw new ApprovalDigestMismatchError(id);
    }
    return this.#run(approved);
  }

  /** Rejects a pending approval (never the decider's own call); the held call never runs. */
  async reject(id: string, decider: Caller, reason?: string): Promise<Approval> {
    await this.#pendingFor(id, decider, 'reject');
    const decision = { by: decider.id, at: new Date(this.#now()).toISOString(), ...(reason === undefined ? {} : { reason }) };
    const rejected = await this.#transition(id, ['pending'], { state: 'rejected', decision }, decider);
    this.#clearTimer(id);
    return rejected;
  }

  /**
   * Resolves once the approval reaches a final state, or after `timeoutMs` (or on abort) with its
   * state then. Long-polling clients and `"wait"` callers use this.
   */
  async wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Approval> {
    const current = await this.get(id);
    // An abort that came first fires no event: without this check the wait would run its whole length.
    if (FINAL_STATES.has(current.state) || timeoutMs <= 0 || signal?.aborted === true) return current;
    return new Promise<Approval>((resolve) => {
      const finish = (): void => {
        timer.clear();
        this.off('change', onChange);
        signal?.removeEventListener('abort', finish);
        void this.get(id).then(resolve, () => resolve(current));
      };
      const onChange = (change: ApprovalChange): void => {
        if (change.approval.id === id && FINAL_STATES.has(change.approval.state)) finish();
      };
      const timer = setLongTimeout(finish, timeoutMs);
      this.on('change', onChange);
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, finish removes this listener itself
      signal?.addEventListener('abort', finish, { once: true });
    });
  }

  /** Changes after `seq` still in the replay buffer, oldest first. */
  changesSince(seq: number): ApprovalChange[] {
    return this.#recent.filter((change) => change.seq > seq);
  }

  /** The id of the latest change (0 before any). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Stops the expiry timers (and the feed). Pending approvals stay in the store. */
  close(): void {
    this.#unsubscribe?.();
    for (const timer of this.#timers.values()) timer.clear();
    this.#timers.clear();
  }

  async #pendingFor(id: string, decider: Caller, decision: 'approve' | 'reject'): Promise<Approval> {
    const approval = await this.get(id);
    // Stryker disable next-line ConditionalExpression: equivalent, the store's compare-and-set from pending refuses it with the same 409
    if (approval.state !== 'pending') throw new ApprovalConflictError(id, approval.state);
    mayDecide(approval, decider, this.#allowSelfApproval, decision);
    return approval;
  }

  async #run(approved: Approval): Promise<Approval> {
    if (this.#runner === undefined) throw new Error('ApprovalQueue has no runner; attach it to a Gateway');
    try {
      const result = await this.#runner(approved);
      return await this.#transition(approved.id, ['approved'], { state: 'executed', result });
    } catch (error) {
      const failure = error instanceof GatewayError ? error : new ToolFailedError(approved.tool, error);
      return this.#transition(approved.id, ['approved'], {
        state: 'failed',
        error: { code: failure.code, message: failure.message, status: failure.status },
      });
    }
  }

  /** Approved, and its run has had longer than the run timeout to report an outcome. */
  #runOverdue(approval: Approval): boolean {
    if (approval.state !== 'approved' || approval.decision === undefined) return false;
    return Date.parse(approval.decision.at) + this.#runTimeoutMs <= this.#now();
  }

  /** approved -> failed (`run_interrupted`), if it is still approved: the store's compare-and-set lets a finished run win. */
  async #interrupt(id: string): Promise<Approval | undefined> {
    this.#clearTimer(id);
    const seconds = Math.round(this.#runTimeoutMs / 1000);
    const error = {
      code: 'run_interrupted',
      message: `the approved call reported no outcome within ${seconds} s (the process running it may have stopped); it may or may not have run, and it will not be run again`,
      status: ERROR_STATUS.run_interrupted,
    };
    const result = await this.#store.transition(id, ['approved'], { state: 'failed', error });
    if (!result.ok) return result.current;
    this.#logger?.warn('an approved call reported no outcome in time; marked it failed (run_interrupted)', { id });
    this.#publish('approval.failed', result.approval);
    return result.approval;
  }

  #interruptAfter(id: string, delayMs: number): void {
    const interrupt = (): void => {
      this.#interrupt(id).catch((error: unknown) => this.#logger?.error('could not close an interrupted approved call', { id, error }));
    };
    this.#timers.set(id, setLongTimeout(interrupt, delayMs, { unref: true }));
  }

  async #expire(id: string): Promise<Approval | undefined> {
    this.#clearTimer(id);
    const result = await this.#store.transition(id, ['pending'], { state: 'expired' });
    if (!result.ok) return result.current;
    this.#publish('approval.expired', result.approval);
    return result.approval;
  }

  /** Compare-and-set through the store; a lost race is a 409 naming the state that won. */
  async #transition(id: string, from: readonly ApprovalState[], patch: Partial<Approval>, by?: Caller): Promise<Approval> {
    const result = await this.#store.transition(id, from, patch);
    if (!result.ok) {
      if (result.current === undefined) throw new NotFoundError(`no approval ${JSON.stringify(id)}`);
      throw new ApprovalConflictError(id, result.current.state);
    }
    const { approval } = result;
    if (approval.state !== 'pending') this.#publish(EVENT_OF_STATE[approval.state], approval, by);
    return approval;
  }

  #publish(type: ApprovalEventType, approval: Approval, by?: Caller): void {
    const change = { source: this.#source, type, approval, ...(by === undefined ? {} : { by }) };
    if (this.#feed === undefined) {
      this.#deliver({ ...change, seq: this.#seq + 1 });
      return;
    }
    // The decision is already stored; a feed that cannot take it now costs the other processes' live view, not the decision.
    this.#feed.publish(change).catch((error: unknown) => this.#logger?.error('could not share an approval change', { id: approval.id, type, error }));
  }

  /** Keeps a change for replay and tracks the expiry of approvals other processes hold. */
  #remember(feedChange: ApprovalFeedChange): ApprovalChange {
    const { source, ...rest } = feedChange;
    const change: ApprovalChange = source === this.#source ? rest : { ...rest, remote: true };
    this.#seq = change.seq;
    this.#recent.push(change);
    if (this.#recent.length > this.#replayLimit) this.#recent.shift();
    const { approval } = change;
    if (change.remote === true && approval.state === 'pending' && !this.#timers.has(approval.id)) {
      // Every process expires what it has heard of: the process that asked may be gone. The store's compare-and-set makes one of them win.
      this.#expireAfter(approval.id, Math.max(0, Date.parse(approval.expiresAt) - this.#now()));
    } else if (approval.state === 'approved') {
      // The process running it may die: every process that heard of the run can close it once overdue
      // (this process's own run set its timer in approve()).
      if (change.remote === true && approval.decision !== undefined) {
        this.#clearTimer(approval.id);
        this.#interruptAfter(approval.id, Math.max(0, Date.parse(approval.decision.at) + this.#runTimeoutMs - this.#now()));
      }
    } else if (approval.state !== 'pending') this.#clearTimer(approval.id);
    return change;
  }

  #deliver(feedChange: ApprovalFeedChange): void {
    const change = this.#remember(feedChange);
    try {
      this.emit('change', change);
    } catch (error) {
      // A listener's bug must not undo or block a decision that is already stored.
      this.#logger?.error('approval listener threw', { error });
    }
  }

  #expireAfter(id: string, delayMs: number): void {
    const expire = (): void => {
      // A store that cannot be reached now (503) must not crash the process: the next read expires it.
      this.#expire(id).catch((error: unknown) => this.#logger?.error('could not expire an approval', { id, error }));
    };
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent in behaviour, unref only lets the process exit with approvals pending
    this.#timers.set(id, setLongTimeout(expire, delayMs, { unref: true }));
  }

  #clearTimer(id: string): void {
    const timer = this.#timers.get(id);
    timer?.clear();
    this.#timers.delete(id);
  }

  async #pruneNow(): Promise<void> {
    const now = this.#now();
    if (now - this.#lastPrune < 60_000) return;
    this.#lastPrune = now;
    await this.#store.prune(now - this.#retentionMs);
  }
}
