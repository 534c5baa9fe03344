import { scrubSecrets } from '../audit/secret-scrubber.js';
import type { LongTimeout } from '../timers/long-timeout.js';
import type { Schedule, TaskDefinition } from './schedule.js';

/** One finished run, kept in the task's bounded history. */
export interface TaskRun {
  readonly started_at: string;
  readonly duration_ms: number;
  readonly outcome: 'ok' | 'pending_approval' | 'error';
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** A task as the routes show it: its definition, next run, counts and recent runs, secrets scrubbed. */
export interface TaskView extends TaskDefinition {
  /** A valid ISO date, or null when the task is not armed (disabled, stopped, or with a `problem`). */
  readonly next_run_at: string | null;
  /** Why a stored task is not run (today's rules refuse it); replace the task to fix it. */
  readonly problem?: string;
  readonly running: boolean;
  readonly runs: number;
  readonly errors: number;
  readonly skipped: number;
  readonly history: readonly TaskRun[];
}

/** A task as this process holds it: the stored definition plus its timer, counts and history. */
export interface TaskState {
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
export function keepable(run: TaskRun): TaskRun {
  try {
    return JSON.parse(JSON.stringify(run)) as TaskRun;
  } catch {
    return { ...run, result: '[not kept: the result is not JSON]' };
  }
}

/** Both come from `taskInputSchema`, so their keys are in the same order. */
export function sameTask(a: TaskDefinition, b: TaskDefinition): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What GET /admin/schedule shows of a task. */
export function taskViewOf(state: TaskState): TaskView {
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
