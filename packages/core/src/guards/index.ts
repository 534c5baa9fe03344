export { ContentFilter, contentRuleInputSchema, contentRuleSchema, REGEX_TIME_LIMIT_MS } from './content-filter.js';
export type { ContentFilterOptions, ContentRule, ContentRuleInput, ContentRuleStore } from './content-filter.js';
export { ContentBlockedError, KillSwitchOnError, RateLimitedError } from './guard-errors.js';
export { KillSwitch, killSwitchStateSchema } from './kill-switch.js';
export type { KillSwitchOptions, KillSwitchState, KillSwitchStore } from './kill-switch.js';
export { MemoryRateLimitStore, RateLimiter } from './rate-limiter.js';
export type { BucketSpec, RateLimitOptions, RateLimitStore } from './rate-limiter.js';
