export { clampDelay, MAX_TIMER_DELAY_MS, setLongTimeout } from './long-timeout.js';
export type { LongTimeout, LongTimeoutOptions } from './long-timeout.js';
