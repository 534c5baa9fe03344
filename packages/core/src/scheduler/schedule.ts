import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { BadRequestError } from '../errors/index.js';

/** `500ms`, `30s`, `5m`, `2h`, or a number of milliseconds; at least one second. */
const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MIN_INTERVAL_MS = 1000;

/** When a task runs: every N milliseconds, or on a cron expression (UTC). */
export type Schedule = { readonly kind: 'interval'; readonly ms: number } | { readonly kind: 'cron'; readonly expression: string };

export function parseSchedule(every: string | number): Schedule {
  if (typeof every === 'number') {
    if (!Number.isInteger(every) || every < MIN_INTERVAL_MS) throw new BadRequestError(`every: an interval must be a whole number of ms, at least ${MIN_INTERVAL_MS}`);
    return { kind: 'interval', ms: every };
  }
  const duration = DURATION.exec(every.trim());
  if (duration !== null) {
    const ms = Number(duration[1]) * (UNIT_MS[duration[2] ?? 'ms'] ?? 1);
    if (ms < MIN_INTERVAL_MS) throw new BadRequestError(`every: ${JSON.stringify(every)} is shorter than one second`);
    return { kind: 'interval', ms };
  }
  const fields = every.trim().split(/\s+/).length;
  try {
    if (fields !== 5 && fields !== 6) throw new Error('a cron expression has 5 fields (or 6 with seconds)');
    CronExpressionParser.parse(every, { tz: 'UTC', strict: false });
  } catch (error) {
    throw new BadRequestError(`every: ${JSON.stringify(every)} is neither an interval (30s, 5m, 2h) nor a cron expression (${(error as Error).message})`);
  }
  return { kind: 'cron', expression: every.trim() };
}

/** The next time after `after` (epoch ms) the schedule is due. */
export function nextRun(schedule: Schedule, after: number): number {
  if (schedule.kind === 'interval') return after + schedule.ms;
  return CronExpressionParser.parse(schedule.expression, { currentDate: new Date(after), tz: 'UTC' }).next().getTime();
}

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
export type TaskInput = z.input<typeof taskInputSchema>;
export type TaskDefinition = z.output<typeof taskInputSchema>;
