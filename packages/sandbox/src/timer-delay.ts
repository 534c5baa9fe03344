/**
 * The longest delay Node's timers keep (2^31-1 ms, about 24.8 days). A longer delay, a negative one
 * or NaN is not refused: Node prints a TimeoutOverflowWarning and fires after 1 ms, so a timeout of a
 * month fires at once and a ping interval of a month pings a thousand times a second. The same bound
 * as core's `timers/long-timeout.ts`, kept here because this package does not depend on core.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Refuses a configured delay Node's timers would not honour: not a finite number, below `min`, or
 * above MAX_TIMER_DELAY_MS. `undefined` (the option left out, so its default) passes. Configuration
 * fails at construction, naming the option, rather than being clamped into something else silently.
 */
export function checkDelayOption(name: string, value: number | undefined, min = 0): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= MAX_TIMER_DELAY_MS) return;
  throw new RangeError(`${name} must be a number of ms from ${min} to ${MAX_TIMER_DELAY_MS} (about 24.8 days), got ${String(value)}`);
}

/**
 * `ms` as a delay Node's timers honour: a whole number of ms in `0..MAX_TIMER_DELAY_MS`, NaN as 0 (as
 * `setTimeout` treats it). For delays chosen per call, where firing after 24.8 days instead of later is
 * harmless and refusing the call is not wanted.
 */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms)) return 0;
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(ms)));
}
