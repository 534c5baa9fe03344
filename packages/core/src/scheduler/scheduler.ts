import { z } from 'zod';
import { auditActorOf } from '../audit/audit-entry.js';
import { failureOf, GatewayError, NotFoundError } from '../errors/index.js';
import type { Gateway } from '../gateway.js';
import { systemCaller } from '../pipeline/caller.js';
import { JsonFileState } from '../storage/json-file-state.js';
import { nextRun, parseSchedule, taskInputSchema, type Schedule, type TaskDefinition, type TaskInput } from './schedule.js';

/** One finished run, kept in the task's bounded history. */
export interface TaskRun {
  readonly started_at: string;
  readonly duration_ms: number;
  readonly outcome: 'ok' | 'pending_approval' | 'error';
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TaskView extends TaskDefinition {
  readonly next_run_at: string | null;
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
}

interface TaskState {
  definition: TaskDefinition;
  schedule: Schedule;
  timer: NodeJS.Timeout | undefined;
  nextAt: number | undefined;
  running: Promise<TaskRun> | undefined;
  runs: number;
  errors: number;
  skipped: number;
  history: TaskRun[];
}

const fileSchema = z.object({ version: z.literal(1), tasks: z.array(taskInputSchema) });
const actor = systemCaller('scheduler');

/**
 * Named tasks that call a tool on an interval or a cron schedule, each run going through the same
 * pipeline as an HTTP caller (as the task's `runAs` user: allow-list, kill switch, validation,
 * approval, audit), so a schedule can never do what its user could not. A run still going when the
 * next is due is skipped (and counted), never overlapped.
 */
export class Scheduler {
  readonly #gateway: Gateway;
  readonly #file: JsonFileState<z.infer<typeof fileSchema>> | undefined;
  readonly #historySize: number;
  readonly #tasks = new Map<string, TaskState>();
  #started = false;

  constructor(gateway: Gateway, options: SchedulerOptions = {}) {
    this.#gateway = gateway;
    this.#file = options.path === undefined ? undefined : new JsonFileState(options.path, fileSchema);
    this.#historySize = options.historySize ?? 20;
  }

  /** Reads the stored tasks; a task whose schedule no longer parses is an error at start. */
  async load(): Promise<void> {
    const stored = await this.#file?.load();
    for (const task of stored?.tasks ?? []) this.#put(taskInputSchema.parse(task));
    this.#gateway.metrics.schedulerTasks.set(this.#tasks.size);
  }

  /** Starts the timers of enabled tasks. */
  start(): void {
    this.#started = true;
    for (const state of this.#tasks.values()) this.#arm(state);
  }

  /** Creates or replaces a task (400 for a bad schedule); persisted; armed if the scheduler runs. */
  async upsert(input: TaskInput): Promise<TaskView> {
    const parsed = taskInputSchema.safeParse(input);
    if (!parsed.success) throw new GatewayError(400, 'bad_request', `invalid task: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const state = this.#put(parsed.data);
    await this.#persist();
    await this.#gateway.audit?.append('schedule_set', auditActorOf(actor), { task: parsed.data.name, tool: parsed.data.tool, every: parsed.data.every, run_as: parsed.data.runAs, enabled: parsed.data.enabled });
    return this.#view(state);
  }

  async remove(name: string): Promise<void> {
    const state = this.#get(name);
    clearTimeout(state.timer);
    this.#tasks.delete(name);
    this.#gateway.metrics.schedulerTasks.set(this.#tasks.size);
    await this.#persist();
  }

  async setEnabled(name: string, enabled: boolean): Promise<TaskView> {
    const state = this.#get(name);
    state.definition = { ...state.definition, enabled };
    clearTimeout(state.timer);
    state.timer = undefined;
    state.nextAt = undefined;
    this.#arm(state);
    await this.#persist();
    return this.#view(state);
  }

  /** Runs a task now (outside its schedule); resolves with the run. A run already going is joined. */
  async runNow(name: string): Promise<TaskRun> {
    const state = this.#get(name);
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
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    await Promise.allSettled([...this.#tasks.values()].map((state) => state.running));
  }

  #put(definition: TaskDefinition): TaskState {
    const schedule = parseSchedule(definition.every);
    const existing = this.#tasks.get(definition.name);
    if (existing !== undefined) clearTimeout(existing.timer);
    const state: TaskState = existing ?? { definition, schedule, timer: undefined, nextAt: undefined, running: undefined, runs: 0, errors: 0, skipped: 0, history: [] };
    state.definition = definition;
    state.schedule = schedule;
    state.timer = undefined;
    state.nextAt = undefined;
    this.#tasks.set(definition.name, state);
    this.#gateway.metrics.schedulerTasks.set(this.#tasks.size);
    this.#arm(state);
    return state;
  }

  #arm(state: TaskState): void {
    if (!this.#started || !state.definition.enabled || state.timer !== undefined) return;
    const now = Date.now();
    const due = nextRun(state.schedule, state.nextAt ?? now);
    const jitter = state.definition.jitterMs > 0 ? Math.floor(Math.random() * state.definition.jitterMs) : 0;
    state.nextAt = Math.max(due, now);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (state.running !== undefined) {
        // The last run is still going: skip this one rather than overlap.
        state.skipped += 1;
      } else {
        void this.#run(state);
      }
      this.#arm(state);
    }, state.nextAt - now + jitter);
    state.timer.unref();
  }

  async #run(state: TaskState): Promise<TaskRun> {
    const { name, tool, args, runAs } = state.definition;
    const started = Date.now();
    const stopTimer = this.#gateway.metrics.schedulerRunDuration.startTimer({ task: name });
    const run = (async (): Promise<TaskRun> => {
      this.#gateway.metrics.schedulerRuns.inc({ task: name });
      state.runs += 1;
      let record: TaskRun;
      try {
        // As the task's user, looked up now: a user deleted or stripped of the tool since is refused.
        const caller = await this.#gateway.auth.callerFor(runAs);
        const outcome = await this.#gateway.callTool({ tool, args: args ?? {} }, { caller });
        record =
          outcome.status === 'executed'
            ? { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'ok', result: outcome.result }
            : { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'pending_approval', result: { approval_id: outcome.approvalId } };
      } catch (error) {
        const { code, message } = failureOf(error);
        state.errors += 1;
        this.#gateway.metrics.schedulerErrors.inc({ task: name });
        record = { started_at: new Date(started).toISOString(), duration_ms: Date.now() - started, outcome: 'error', error: { code, message } };
      }
      stopTimer();
      state.history = [...state.history, record].slice(-this.#historySize);
      await this.#gateway.audit
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
      next_run_at: state.nextAt === undefined || state.timer === undefined ? null : new Date(state.nextAt).toISOString(),
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
