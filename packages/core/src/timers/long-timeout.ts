/**
 * The longest delay Node's timers keep (2^31-1 ms, about 24.8 days). A longer delay, a negative
 * one or NaN is not refused: Node prints a TimeoutOverflowWarning and fires after 1 ms, so a
 * "once a month" timer fires a thousand times a second. Every delay that comes from input or
 * configuration goes through `clampDelay` or `setLongTimeout` below.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * `ms` as a delay Node's timers honour: a whole number of ms in `min..MAX_TIMER_DELAY_MS`. NaN
 * becomes `min`. Use it where firing early is harmless (a timeout, a renewal, a heartbeat); use
 * `setLongTimeout` where the wait itself must be exact.
 */
export function clampDelay(ms: number, min = 0): number {
  const floor = Math.max(0, Math.ceil(min));
  if (Number.isNaN(ms)) return floor;
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(floor, Math.ceil(ms)));
}

/** A wait started by `setLongTimeout`. */
export interface LongTimeout {
  /** Cancels the wait; harmless after it fired or when called twice. */
  clear(): void;
}

/** Options of `setLongTimeout(callback, delayMs, options)`. */
export interface LongTimeoutOptions {
  /** Do not keep the process alive for this wait (as `timer.unref()`). Default false. */
  readonly unref?: boolean;
}

/**
 * `setTimeout` for any delay: a wait longer than Node's maximum is a chain of timers, each at
 * most MAX_TIMER_DELAY_MS, so it fires once, after `ms`. Infinity never fires; NaN and negatives
 * fire at once, as with `setTimeout`. Time is counted like `setTimeout` counts it (monotonic),
 * not by the wall clock.
 */
export function setLongTimeout(callback: () => void, ms: number, options: LongTimeoutOptions = {}): LongTimeout {
  let remaining = Number.isNaN(ms) ? 0 : Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  const hop = (): void => {
    const step = Math.min(remaining, MAX_TIMER_DELAY_MS);
    remaining -= step;
    timer = setTimeout(remaining > 0 ? hop : callback, step);
    if (options.unref === true) timer.unref();
  };
  hop();
  return {
    clear() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
