/**
 * `@agent-gateway/redis`: every store of the gateway on Redis, so many gateway processes share one
 * live state. `redisStoresFromConfig(config)` gives them all from `REDIS_URL`; each store is also
 * exported on its own.
 *
 * @module @agent-gateway/redis
 */
export { RedisState, stateUnavailable } from './redis-state.js';
export type { RedisStateOptions } from './redis-state.js';
export { LuaScript } from './lua-script.js';
export { RedisRevocationStore } from './redis-revocation-store.js';
export { RedisApprovalStore } from './redis-approval-store.js';
export type { RedisApprovalStoreOptions } from './redis-approval-store.js';
export { RedisRateLimitStore } from './redis-rate-limit-store.js';
export { RedisKillSwitchStore } from './redis-kill-switch-store.js';
export { WatchedKey } from './watched-key.js';
export type { WatchedKeyOptions } from './watched-key.js';
export { RedisTaskLease } from './redis-task-lease.js';
export { RedisTaskStore } from './redis-task-store.js';
export type { RedisTaskStoreOptions } from './redis-task-store.js';
export { redisHealthPlugin } from './redis-health-plugin.js';
export type { RedisHealthPluginOptions } from './redis-health-plugin.js';
export { redisGatewayOptions, redisStoresFromConfig } from './redis-stores.js';
export type { RedisGatewayOptions } from './redis-stores.js';
export { RedisApprovalFeed } from './redis-approval-feed.js';
export type { RedisApprovalFeedOptions } from './redis-approval-feed.js';
export { RedisContentRuleStore } from './redis-content-rule-store.js';
export { RedisRedactionRuleStore } from './redis-redaction-rule-store.js';
export { RedisUserStore } from './redis-user-store.js';
export { redisSettings } from './redis-settings.js';
export type { RedisSettings } from './redis-settings.js';
export { RedisLoginThrottle } from './redis-login-throttle.js';
