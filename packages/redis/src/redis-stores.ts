import type { ContentFilter, CreateGatewayOptions, GatewayConfig, GatewayPlugin, KillSwitch, Logger, RedactionRules } from '@agent-gateway/core';
import { RedisApprovalFeed } from './redis-approval-feed.js';
import { RedisApprovalStore } from './redis-approval-store.js';
import { redisHealthPlugin } from './redis-health-plugin.js';
import { RedisLoginThrottle } from './redis-login-throttle.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { RedisRevocationStore } from './redis-revocation-store.js';
import { redisSettings } from './redis-settings.js';
import type { RedisTaskLease } from './redis-task-lease.js';
import type { RedisTaskStore } from './redis-task-store.js';
import { RedisState } from './redis-state.js';

/** What `createGatewayFromConfig` takes to keep a gateway's shared state in Redis. */
export interface RedisGatewayOptions {
  readonly auth: NonNullable<CreateGatewayOptions['auth']>;
  readonly rateLimits: { readonly store: RedisRateLimitStore };
  /** Approvals created, decided and streamed on any process (the configured timeout stays). */
  readonly approvals: { readonly store: RedisApprovalStore; readonly feed: RedisApprovalFeed };
  /** The readiness route and `state_store_up`; add them to the gateway's other plugins. */
  readonly plugins: readonly GatewayPlugin[];
}

/** Everything shared: the stores above plus the operator's settings, users, scheduled tasks and their lease. */
export interface RedisSharedState extends RedisGatewayOptions {
  readonly killSwitch: KillSwitch;
  readonly contentFilter: ContentFilter;
  readonly redaction: RedactionRules;
  /** One list of scheduled tasks, followed by every process; each due time runs on one process. */
  readonly scheduler: { readonly store: RedisTaskStore; readonly lease: RedisTaskLease };
}

/**
 * Every Redis store over one connection, as options for `createGatewayFromConfig` (the plugin
 * closes the connection when the gateway closes).
 *
 * @example
 * const redis = await redisStoresFromConfig(config, { logger });
 * const gateway = await createGatewayFromConfig(config, { ...redis, plugins: [...mine, ...(redis?.plugins ?? [])] });
 */
export function redisGatewayOptions(state: RedisState, options: { logger?: Logger } = {}): RedisGatewayOptions {
  return {
    auth: { revocationStore: new RedisRevocationStore(state), throttleStore: new RedisLoginThrottle(state, options) },
    rateLimits: { store: new RedisRateLimitStore(state) },
    approvals: { store: new RedisApprovalStore(state), feed: new RedisApprovalFeed(state) },
    plugins: [redisHealthPlugin(state, { closeState: true })],
  };
}

/**
 * The Redis stores from `configFromEnv()` (REDIS_URL, REDIS_KEY_PREFIX), or `undefined` when
 * REDIS_URL is not set (each process then keeps its own state, as without this package). A Redis
 * that cannot be reached at start does not stop the start: calls that need it fail closed with 503,
 * `/health/ready` says so, and the connection keeps being retried.
 */
export async function redisStoresFromConfig(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RedisSharedState | undefined> {
  const { url, keyPrefix } = config.redis;
  if (url === undefined) return undefined;
  const state = new RedisState({ url: url.reveal(), keyPrefix });
  try {
    await state.connect();
  } catch (error) {
    // Its name only: an ioredis message may quote the URL, and with it the password.
    options.logger?.warn('Redis cannot be reached yet; calls that need it are refused until it can', { error: error instanceof Error ? error.name : 'error' });
  }
  const stores = redisGatewayOptions(state, options);
  const settings = await redisSettings(state, options);
  return {
    ...stores,
    auth: { ...stores.auth, userStore: settings.auth.userStore },
    killSwitch: settings.killSwitch,
    contentFilter: settings.contentFilter,
    redaction: settings.redaction,
    scheduler: { store: settings.taskStore, lease: settings.lease },
    // Plugins close in reverse: the settings' subscribers stop before the health plugin closes the connection.
    plugins: [...stores.plugins, { name: 'redis-settings', close: () => settings.close() }],
  };
}
