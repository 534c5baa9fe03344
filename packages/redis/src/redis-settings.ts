import { ContentFilter, KillSwitch, RedactionRules, type Logger } from '@agent-gateway/core';
import { RedisContentRuleStore } from './redis-content-rule-store.js';
import { RedisKillSwitchStore } from './redis-kill-switch-store.js';
import { RedisRedactionRuleStore } from './redis-redaction-rule-store.js';
import type { RedisState } from './redis-state.js';
import { RedisTaskLease } from './redis-task-lease.js';
import { RedisUserStore } from './redis-user-store.js';
import type { WatchedKeyOptions } from './watched-key.js';

/** The operator's settings in Redis, shaped as `createGatewayFromConfig` / `new Gateway` options take them. */
export interface RedisSettings {
  readonly killSwitch: KillSwitch;
  readonly contentFilter: ContentFilter;
  readonly redaction: RedactionRules;
  readonly auth: { readonly userStore: RedisUserStore };
  /** Give it to the scheduler: `scheduler: { path, lease }`. */
  readonly lease: RedisTaskLease;
  /** Stops the subscriber connections (the shared RedisState is closed by its owner). */
  close(): void;
}

/**
 * The kill switch, content-filter rules, redaction rules, users and the scheduler's lease over one
 * RedisState, loaded and following every process's changes. A Redis that cannot be reached now does
 * not stop the start: the switch and the rules are stale, so calls are refused (503) until Redis
 * answers, then they are read and followed again without a restart.
 */
export async function redisSettings(state: RedisState, options: WatchedKeyOptions & { logger?: Logger } = {}): Promise<RedisSettings> {
  const killSwitchStore = new RedisKillSwitchStore(state, options);
  const contentStore = new RedisContentRuleStore(state, options);
  const redactionStore = new RedisRedactionRuleStore(state, options);
  const killSwitch = new KillSwitch({ store: killSwitchStore });
  const contentFilter = new ContentFilter({ store: contentStore });
  const redaction = new RedactionRules(redactionStore);
  const started = await Promise.allSettled([
    killSwitchStore.start().then(() => killSwitch.load()),
    contentStore.start().then(() => contentFilter.load()),
    redactionStore.start().then(() => redaction.load()),
  ]);
  if (started.some((result) => result.status === 'rejected')) {
    options.logger?.warn('the shared settings cannot be read from Redis yet; tool calls are refused until they can');
    // Each follows its store from here: what Redis holds arrives when it answers.
    await Promise.allSettled([killSwitch.load(), contentFilter.load(), redaction.load()]);
  }
  return {
    killSwitch,
    contentFilter,
    redaction,
    auth: { userStore: new RedisUserStore(state) },
    lease: new RedisTaskLease(state),
    close() {
      killSwitch.close();
      contentFilter.close();
      redaction.close();
      killSwitchStore.close();
      contentStore.close();
      redactionStore.close();
    },
  };
}
