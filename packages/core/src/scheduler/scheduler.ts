import { auditActorOf } from '../audit/audit-entry.js';
import { scrubSecrets } from '../audit/secret-scrubber.js';
import { BadRequestError, failureOf, NotFoundError } from '../errors/index.js';
import type { GatewayServices } from '../services.js';
import { systemCaller } from '../pipeline/caller.js';
import { setLongTimeout } from '../timers/long-timeout.js';
import { nextRun, parseSchedule, taskInputSchema, type Schedule, type TaskDefinition, type TaskInput } from './schedule.js';
import { assertRunnable, asStored, secretPathsIn, withoutSecrets } from './task-checks.js';
import { InvalidTaskError } from './task-errors.js';
import type { TaskLease } from './task-lease.js';
import { keepable, sameTask, taskViewOf, type TaskRun, type TaskState, type TaskView } from './task-state.js';
import { FileTaskStore, MemoryTaskStore, type TaskChange, type TaskStore } from './task-store.js';

/** Options of `gateway.scheduler`: `new Gateway({ scheduler: {...} })`. */
export interface SchedulerOptions {
  /** Where tasks are kept (JSON, atomic writes). Default: in memory only. */
  readonly path?: string;
  /**
   * Where tasks are kept instead of `path`: a store shared by several processes (Redis), whose
   * changes made on any process this scheduler follows, arming and disarming its timers.
   */
  readonly store?: TaskStore;
  /** Runs kept per task. Default 20. */
  readonly historySize?: number;
  /**
   * Shared by processes holding the same tasks: each due time runs on the one process that gets the
   * lease. With a lease, interval tasks fall due on multiples of their interval since the epoch, so
   * every process agrees on the due times. Default: none (this process runs every due time).
   */
  readonly lease?: TaskLease;
  /** How long a due time's lease is kept, beyond the task's `jitterMs`. Default 60 s. */
  readonly leaseMarginMs?: number;
}

const actor = systemCaller('scheduler');

/** 404 when the task is not stored, even if this process still holds it (another process deleted it). */
function assertStored(tasks: readonly TaskDefinition[], name: string): void {
  if (!tasks.some((task) => task.name === name)) throw new NotFoundError(`no scheduled task ${JSON.stringify(name)}`);
}

/**
 * Named tasks that call a tool on an interval or a cron schedule, each run going through the same
 * pipeline as an HTTP caller (as the task's `runAs` user: allow-list, kill switch, validation,
 * approval, audit), so a schedule can never do what its user could not. A run still going when the
 * next is due is skipped (and counted), never overlapped. Waits longer than Node's timer maximum are
 * chained, so a yearly task fires once a year.
 */
export class Scheduler {
  readonly #services: GatewayServices;
  readonly #store: TaskStore;
  readonly #historySize: number;
  readonly #lease: TaskLease | undefined;
  readonly #leaseMarginMs: number;
  readonly #tasks = new Map<string, TaskState>();
  #started = false;
  #unwatch: (() => void) | undefined;

  constructor(services: GatewayServices, options: SchedulerOptions = {}) {
    this.#services = services;
    this.#store = options.store ?? (options.path === undefined ? new MemoryTaskStore() : new FileTaskStore(options.path));
    this.#historySize = options.historySize ?? 20;
    this.#lease = options.lease;
    this.#leaseMarginMs = options.leaseMarginMs ?? 60_000;
  }

  /**
   * Reads the stored tasks and follows the store's changes (made on any process, with a shared
   * store). One that today's rules refuse (an interval out of range, secrets in its args written by
   * an older version) is kept but not run, with its `problem`; secrets found in the store are scrubbed
   * from it and their task disabled. Tools and users are checked at each run: the host registers its
   * tools after loading.
   */
  async load(): Promise<void> {
    this.#follow();
    const stored = await this.#store.load();
    this.#apply(stored);
    if (stored.some((task) => secretPathsIn(task.args).length > 0)) await this.#update(withoutSecrets);
  }

  /** Starts the timers of enabled tasks. */
  start(): void {
    this.#started = true;
    this.#follow();
    for (const state of this.#tasks.values()) this.#arm(state);
  }

  /**
   * Creates or replaces a task; persisted; armed if the scheduler runs. 400 for a malformed task,
   * 422 for one that could never run as given (see `assertRunnable`), 404 for an unknown tool.
   */
  async upsert(input: TaskInput): Promise<TaskView> {
    const parsed = taskInputSchema.safeParse(input);
    if (!parsed.success) throw new BadRequestError(`invalid task: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const schedule = parseSchedule(parsed.data.every);
    await assertRunnable(this.#services, parsed.data);
    const task = parsed.data;
    const before = this.#tasks.get(task.name)?.definition;
    // Stored first: a task that did not reach the store (503) must not look set here.
    await this.#update((tasks) => (tasks.some((t) => t.name === task.name) ? tasks.map((t) => (t.name === task.name ? task : t)) : [...tasks, task]));
    // Replacing a task with itself is no change to the store, yet re-arms it and clears its problem, as before.
    const state = before !== undefined && sameTask(before, task) ? this.#put(task, undefined, schedule) : this.#get(task.name);
    await this.#services.audit?.append('schedule_set', auditActorOf(actor), { task: parsed.data.name, tool: parsed.data.tool, every: parsed.data.every, run_as: parsed.data.runAs, enabled: parsed.data.enabled });
    return taskViewOf(state);
  }

  /** Deletes a task and disarms its timer (404 when there is none of that name). */
  async remove(name: string): Promise<void> {
    this.#get(name);
    await this.#update((tasks) => {
      assertStored(tasks, name);
      return tasks.filter((t) => t.name !== name);
    });
  }

  /** Turns a task on or off without changing it; on is refused for a task with a `problem`. */
  async setEnabled(name: string, enabled: boolean): Promise<TaskView> {
    const state = this.#get(name);
    if (enabled) this.#assertNoProblem(state);
    // Only `enabled` is changed, on the task as stored: a replacement made meanwhile elsewhere stays.
    await this.#update((tasks) => {
      assertStored(tasks, name);
      return tasks.map((t) => (t.name === name ? { ...t, enabled } : t));
    });
    return taskViewOf(this.#get(name));
  }

  /** Runs a task now (outside its schedule); resolves with the run. A run already going is joined. */
  async runNow(name: string): Promise<TaskRun> {
    const state = this.#get(name);
    this.#assertNoProblem(state);
    return state.running ?? this.#run(state);
  }

  /** Every task with its next run, counts and last runs, sorted by name. */
  list(): TaskView[] {
    return [...this.#tasks.values()].map((state) => taskViewOf(state)).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One task with its next run, counts and last runs (404 when there is none of that name). */
  get(name: string): TaskView {
    return taskViewOf(this.#get(name));
  }

  /** Stops every timer and following the store, and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#unwatch?.();
    this.#unwatch = undefined;
    for (const state of this.#tasks.values()) {
      state.timer?.clear();
      state.timer = undefined;
    }
    await Promise.allSettled([...this.#tasks.values()].map((state) => state.running));
  }

  /** Holds the task (replacing one of the same name) and arms it; a schedule that no longer parses is its `problem`. */
  #put(definition: TaskDefinition, problem?: string, parsed?: Schedule): TaskState {
    let schedule = parsed;
    let reason = problem;
    if (schedule === undefined) {
      try {
        schedule = parseSchedule(definition.every);
      } catch (error) {
        reason ??= failureOf(error).message;
      }
    }
    if (reason !== undefined) this.#services.logger.error('a stored scheduled task is not run', { task: definition.name, problem: reason });
    const existing = this.#tasks.get(definition.name);
    if (existing !== undefined) this.#disarm(existing);
    const state: TaskState = existing ?? { definition, schedule, problem: reason, timer: undefined, nextAt: undefined, running: undefined, runs: 0, errors: 0, skipped: 0, history: [] };
    state.definition = definition;
    state.schedule = reason === undefined ? schedule : undefined;
    state.problem = reason;
    this.#tasks.set(definition.name, state);
    this.#services.metrics.schedulerTasks.set(this.#tasks.size);
    this.#arm(state);
    return state;
  }

  #assertNoProblem(state: TaskState): void {
    if (state.problem !== undefined) throw new InvalidTaskError(`task ${JSON.stringify(state.definition.name)} is not run: ${state.problem}`, 'name');
  }

  #disarm(state: TaskState): void {
    state.timer?.clear();
    state.timer = undefined;
    state.nextAt = undefined;
  }

  #arm(state: TaskState): void {
    const { schedule } = state;
    if (!this.#started || !state.definition.enabled || state.timer !== undefined || schedule === undefined) return;
    const now = Date.now();
    let due: number;
    try {
      due = nextRun(schedule, state.nextAt ?? this.#firstFrom(schedule, now));
      // Processes sharing a lease must agree on due times: a late one skips those already past.
      if (this.#lease !== undefined && due < now) due = nextRun(schedule, this.#firstFrom(schedule, now));
    } catch (error) {
      // A cron that has run out of dates: the task stops, visibly, instead of throwing from a timer.
      state.schedule = undefined;
      state.problem = `its schedule has no next run (${(error as Error).message})`;
      this.#services.logger.error('a scheduled task has no next run', { task: state.definition.name });
      return;
    }
    const jitter = state.definition.jitterMs > 0 ? Math.floor(Math.random() * state.definition.jitterMs) : 0;
    state.nextAt = Math.max(due, now);
    this.#fireAt(state, state.nextAt + jitter, state.nextAt);
  }

  /** Where the first interval is counted from: now, or with a lease the last multiple of the interval. */
  #firstFrom(schedule: Schedule, now: number): number {
    return this.#lease !== undefined && schedule.kind === 'interval' ? now - (now % schedule.ms) : now;
  }

  #fireAt(state: TaskState, at: number, dueAt: number): void {
    // Chained: a wait past Node's 24.8-day timer maximum would otherwise fire after 1 ms, in a loop.
    state.timer = setLongTimeout(
      () => {
        state.timer = undefined;
        // Timers count monotonic time; the wall clock may disagree after a long wait. Never early.
        if (Date.now() < at) return this.#fireAt(state, at, dueAt);
        if (state.running !== undefined) {
          // The last run is still going: skip this one rather than overlap.
          state.skipped += 1;
        } else if (this.#lease === undefined) {
          void this.#run(state);
        } else {
          void this.#runIfLeased(state, dueAt);
        }
        this.#arm(state);
      },
      at - Date.now(),
      { unref: true },
    );
  }

  /** Runs the due time if this process gets its lease; a lease that cannot be asked for skips it (never twice). */
  async #runIfLeased(state: TaskState, dueAt: number): Promise<void> {
    const { name, jitterMs } = state.definition;
    let leased: boolean;
    try {
      leased = (await this.#lease?.acquire(name, dueAt, jitterMs + this.#leaseMarginMs)) ?? true;
    } catch (error) {
      state.skipped += 1;
      this.#services.logger.warn('a scheduled run was skipped: its lease could not be taken', { task: name, code: failureOf(error).code });
      return;
    }
    if (leased && state.running === undefined && this.#started) await this.#run(state);
  }

  async #run(state: TaskState): Promise<TaskRun> {
    const { name, tool, args, runAs } = state.definition;
    const started = Date.now();
    const stopTimer = this.#services.metrics.schedulerRunDuration.startTimer({ task: name });
    const run = (async (): Promise<TaskRun> => {
      this.#services.metrics.schedulerRuns.inc({ task: name });
      state.runs += 1;
      let record: TaskRun;
      try {
        // As the task's user, looked up now: a user deleted or stripped of the tool since is refused.
        const caller = await this.#services.auth.callerFor(runAs);
        const outcome = await this.#services.callTool({ tool, args: args ?? {} }, { caller });
        record =
          outcome.status === 'executed'
            ? { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'ok', result: outcome.result }
            : { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'pending_approval', result: { approval_id: outcome.approvalId } };
      } catch (error) {
        const { code, message } = failureOf(error);
        state.errors += 1;
        this.#services.metrics.schedulerErrors.inc({ task: name });
        record = { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'error', error: { code, message } };
      }
      stopTimer();
      // A tool's result is caller data: what is kept and shown has passed through the scrubber.
      record = keepable(scrubSecrets(record) as TaskRun);
      state.history = [...state.history, record].slice(-this.#historySize);
      await this.#services.audit
        ?.append('scheduled_run', auditActorOf(actor), { task: name, tool, run_as: runAs, outcome: record.outcome, ...(record.error === undefined ? {} : { code: record.error.code }) })
        .catch(() => undefined);
      return record;
    })();
    state.running = run;
    try {
      return await run;
    } finally {
      state.running = undefined;
    }
  }

  #get(name: string): TaskState {
    const state = this.#tasks.get(name);
    if (state === undefined) throw new NotFoundError(`no scheduled task ${JSON.stringify(name)}`);
    return state;
  }



  /** Changes the stored tasks, then this process's copy (from the store's own message when it is followed). */
  async #update(change: TaskChange): Promise<void> {
    const tasks = await this.#store.update(change);
    if (this.#unwatch === undefined) this.#apply(tasks);
  }

  #follow(): void {
    this.#unwatch ??= this.#store.watch?.((tasks) => this.#apply(tasks));
  }

  /**
   * Makes this process's tasks those stored: new and changed ones are (re)armed, removed ones
   * disarmed (a run in progress finishes), unchanged ones left alone; counts and history are kept.
   */
  #apply(stored: readonly TaskDefinition[]): void {
    const names = new Set<string>();
    for (const task of stored) {
      names.add(task.name);
      const { definition, problem } = asStored(task);
      const existing = this.#tasks.get(task.name);
      if (existing === undefined || !sameTask(existing.definition, definition)) this.#put(definition, problem);
    }
    for (const [name, state] of this.#tasks) {
      if (names.has(name)) continue;
      this.#disarm(state);
      this.#tasks.delete(name);
    }
    this.#services.metrics.schedulerTasks.set(this.#tasks.size);
  }
}
