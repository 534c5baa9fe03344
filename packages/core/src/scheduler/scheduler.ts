import { z } from 'zod';
import { auditActorOf } from '../audit/audit-entry.js';
import { scrubSecrets } from '../audit/secret-scrubber.js';
import { BadRequestError, failureOf, NotFoundError } from '../errors/index.js';
import type { GatewayServices } from '../services.js';
import { systemCaller } from '../pipeline/caller.js';
import { JsonFileState } from '../storage/json-file-state.js';
import { setLongTimeout, type LongTimeout } from '../timers/long-timeout.js';
import { nextRun, parseSchedule, taskInputSchema, type Schedule, type TaskDefinition, type TaskInput } from './schedule.js';
import { assertRunnable, secretPathsIn } from './task-checks.js';
import { InvalidTaskError } from './task-errors.js';
import type { TaskLease } from './task-lease.js';

/** One finished run, kept in the task's bounded history. */
export interface TaskRun {
  readonly started_at: string;
  readonly duration_ms: number;
  readonly outcome: 'ok' | 'pending_approval' | 'error';
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TaskView extends TaskDefinition {
  /** A valid ISO date, or null when the task is not armed (disabled, stopped, or with a `problem`). */
  readonly next_run_at: string | null;
  /** Why a task read from the file is not run (today's rules refuse it); replace the task to fix it. */
  readonly problem?: string;
  readonly running: boolean;
  readonly runs: number;
  readonly errors: number;
  readonly skipped: number;
  readonly history: readonly TaskRun[];
}

export interface SchedulerOptions {
  /** Where tasks are kept (JSON, atomic writes). Default: in memory only. */
  readonly path?: string;
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

interface TaskState {
  definition: TaskDefinition;
  /** Undefined when `problem` says why the task cannot be scheduled. */
  schedule: Schedule | undefined;
  problem: string | undefined;
  timer: LongTimeout | undefined;
  nextAt: number | undefined;
  running: Promise<TaskRun> | undefined;
  runs: number;
  errors: number;
  skipped: number;
  history: TaskRun[];
}

const fileSchema = z.object({ version: z.literal(1), tasks: z.array(taskInputSchema) });
const actor = systemCaller('scheduler');

/** `ms` as an ISO date, or null: a view must never hold an Invalid Date nor throw while it is built. */
function isoOrNull(ms: number | undefined): string | null {
  if (ms === undefined) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * The run as JSON will show it, detached from the tool's objects. A result JSON cannot hold (a BigInt, a
 * throwing toJSON) is replaced: kept as it was, it would make every later GET /admin/schedule a 500.
 */
function keepable(run: TaskRun): TaskRun {
  try {
    return JSON.parse(JSON.stringify(run)) as TaskRun;
  } catch {
    return { ...run, result: '[not kept: the result is not JSON]' };
  }
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
  readonly #file: JsonFileState<z.infer<typeof fileSchema>> | undefined;
  readonly #historySize: number;
  readonly #lease: TaskLease | undefined;
  readonly #leaseMarginMs: number;
  readonly #tasks = new Map<string, TaskState>();
  #started = false;

  constructor(services: GatewayServices, options: SchedulerOptions = {}) {
    this.#services = services;
    this.#file = options.path === undefined ? undefined : new JsonFileState(options.path, fileSchema);
    this.#historySize = options.historySize ?? 20;
    this.#lease = options.lease;
    this.#leaseMarginMs = options.leaseMarginMs ?? 60_000;
  }

  /**
   * Reads the stored tasks. One that today's rules refuse (an interval out of range, secrets in its
   * args written by an older version) is kept but not run, with its `problem`; secrets found in the
   * file are scrubbed from it and their task disabled. Tools and users are checked at each run: the
   * host registers its tools after loading.
   */
  async load(): Promise<void> {
    const stored = await this.#file?.load();
    let scrubbed = false;
    for (const task of stored?.tasks ?? []) {
      let definition = taskInputSchema.parse(task);
      const secrets = secretPathsIn(definition.args);
      if (secrets.length > 0) {
        scrubbed = true;
        definition = { ...definition, args: scrubSecrets(definition.args), enabled: false };
        this.#put(definition, `${secrets.join(', ')} held a secret, which was removed from the file; replace the task without secrets`);
      } else {
        this.#put(definition);
      }
    }
    this.#services.metrics.schedulerTasks.set(this.#tasks.size);
    if (scrubbed) await this.#persist();
  }

  /** Starts the timers of enabled tasks. */
  start(): void {
    this.#started = true;
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
    const state = this.#put(parsed.data, undefined, schedule);
    await this.#persist();
    await this.#services.audit?.append('schedule_set', auditActorOf(actor), { task: parsed.data.name, tool: parsed.data.tool, every: parsed.data.every, run_as: parsed.data.runAs, enabled: parsed.data.enabled });
    return this.#view(state);
  }

  async remove(name: string): Promise<void> {
    const state = this.#get(name);
    state.timer?.clear();
    this.#tasks.delete(name);
    this.#services.metrics.schedulerTasks.set(this.#tasks.size);
    await this.#persist();
  }

  async setEnabled(name: string, enabled: boolean): Promise<TaskView> {
    const state = this.#get(name);
    if (enabled) this.#assertNoProblem(state);
    state.definition = { ...state.definition, enabled };
    this.#disarm(state);
    this.#arm(state);
    await this.#persist();
    return this.#view(state);
  }

  /** Runs a task now (outside its schedule); resolves with the run. A run already going is joined. */
  async runNow(name: string): Promise<TaskRun> {
    const state = this.#get(name);
    this.#assertNoProblem(state);
    return state.running ?? this.#run(state);
  }

  list(): TaskView[] {
    return [...this.#tasks.values()].map((state) => this.#view(state)).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): TaskView {
    return this.#view(this.#get(name));
  }

  /** Stops every timer and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const state of this.#tasks.values()) {
      state.timer?.clear();
      state.timer = undefined;
    }
    await Promise.allSettled([...this.#tasks.values()].map((state) => state.running));
  }

  /** Stores the task (replacing one of the same name); a schedule that no longer parses is its `problem`. */
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

  #view(state: TaskState): TaskView {
    return {
      ...state.definition,
      // Args are free of secrets when created; scrubbed again in case a stored file held some.
      ...(state.definition.args === undefined ? {} : { args: scrubSecrets(state.definition.args) }),
      next_run_at: state.timer === undefined ? null : isoOrNull(state.nextAt),
      ...(state.problem === undefined ? {} : { problem: state.problem }),
      running: state.running !== undefined,
      runs: state.runs,
      errors: state.errors,
      skipped: state.skipped,
      history: state.history,
    };
  }

  async #persist(): Promise<void> {
    await this.#file?.save({ version: 1, tasks: [...this.#tasks.values()].map((state) => state.definition) });
  }
}
