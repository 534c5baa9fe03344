import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { BadRequestError } from '../errors/index.js';
import { InvalidTaskError } from './task-errors.js';

/** `500ms`, `30s`, `5m`, `2h`, `7d`, or a number of milliseconds. */
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The shortest interval a task may have: one second. */
export const MIN_INTERVAL_MS = 1000;
/**
 * The longest interval a task may have: a year. Longer than Node's timer maximum (about 24.8 days),
 * so long waits are chained; a rarer task is a cron expression.
 */
export const MAX_INTERVAL_MS = 365 * 86_400_000;

/** When a task runs: every N milliseconds, or on a cron expression (UTC). */
export type Schedule = { readonly kind: 'interval'; readonly ms: number } | { readonly kind: 'cron'; readonly expression: string };

function interval(ms: number, every: string | number): Schedule {
  // Not a whole number, out of range, NaN or Infinity: refused here, so no timer or date ever sees it.
  if (!Number.isSafeInteger(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
    throw new InvalidTaskError(`every: ${JSON.stringify(every)} is not a whole number of ms from ${MIN_INTERVAL_MS} (one second) to ${MAX_INTERVAL_MS} (one year)`, 'every');
  }
  return { kind: 'interval', ms };
}

/**
 * A task's `every`: 400 when it is neither an interval nor a cron expression, 422 when it is an
 * interval outside one second..one year or a cron expression that never comes due.
 */
export function parseSchedule(every: string | number): Schedule {
  if (typeof every === 'number') return interval(every, every);
  const duration = DURATION.exec(every.trim());
  if (duration !== null) return interval(Number(duration[1]) * (UNIT_MS[duration[2] ?? 'ms'] ?? 1), every);
  const fields = every.trim().split(/\s+/).length;
  try {
    if (fields !== 5 && fields !== 6) throw new Error('a cron expression has 5 fields (or 6 with seconds)');
    CronExpressionParser.parse(every, { tz: 'UTC', strict: false });
  } catch (error) {
    throw new BadRequestError(`every: ${JSON.stringify(every)} is neither an interval (30s, 5m, 2h, 7d) nor a cron expression (${(error as Error).message})`);
  }
  const schedule: Schedule = { kind: 'cron', expression: every.trim() };
  try {
    nextRun(schedule, Date.now());
  } catch (error) {
    throw new InvalidTaskError(`every: ${JSON.stringify(every)} never comes due (${(error as Error).message})`, 'every');
  }
  return schedule;
}

/** The next time after `after` (epoch ms) the schedule is due; throws if there is none. */
export function nextRun(schedule: Schedule, after: number): number {
  const next = schedule.kind === 'interval' ? after + schedule.ms : CronExpressionParser.parse(schedule.expression, { currentDate: new Date(after), tz: 'UTC' }).next().getTime();
  // A date past what Date can hold would make every view of the task throw.
  if (!Number.isFinite(new Date(next).getTime())) throw new RangeError('the next run is past the last date JavaScript can represent');
  return next;
}

/** The zod schema of a task as `POST /admin/schedule` and `scheduler.upsert` take it. */
export const taskInputSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1..64 letters, digits or . _ -'),
    tool: z.string().min(1).max(128),
    args: z.unknown().optional(),
    every: z.union([z.string().min(1).max(200), z.number()]),
    runAs: z.string().min(1).max(64),
    enabled: z.boolean().default(true),
    /** Up to this many ms added at random to each wait, so many tasks do not fire at once. */
    jitterMs: z.number().int().min(0).max(3_600_000).default(0),
  })
  .strict();
/** A task as given: name, tool, args, `every` (an interval or cron), `runAs`, and optionally `jitterMs`, `enabled`. */
export type TaskInput = z.input<typeof taskInputSchema>;
/** A task as stored, its defaults filled in. */
export type TaskDefinition = z.output<typeof taskInputSchema>;
