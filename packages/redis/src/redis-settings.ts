import { ContentFilter, KillSwitch, RedactionRules, type Logger } from '@agent-gateway/core';
import { RedisContentRuleStore } from './redis-content-rule-store.js';
import { RedisKillSwitchStore } from './redis-kill-switch-store.js';
import { RedisRedactionRuleStore } from './redis-redaction-rule-store.js';
import type { RedisState } from './redis-state.js';
import { RedisTaskLease } from './redis-task-lease.js';
import { RedisTaskStore } from './redis-task-store.js';
import { RedisUserStore } from './redis-user-store.js';
import type { WatchedKeyOptions } from './watched-key.js';

/** The operator's settings in Redis, shaped as `createGatewayFromConfig` / `new Gateway` options take them. */
export interface RedisSettings {
  readonly killSwitch: KillSwitch;
  readonly contentFilter: ContentFilter;
  readonly redaction: RedactionRules;
  readonly auth: { readonly userStore: RedisUserStore };
  /** Give both to the scheduler: `scheduler: { store: taskStore, lease }`. */
  readonly lease: RedisTaskLease;
  /** The scheduled tasks' definitions, followed by every process's scheduler. */
  readonly taskStore: RedisTaskStore;
  /** Stops the subscriber connections (the shared RedisState is closed by its owner). */
  close(): void;
}

/**
 * The kill switch, content-filter rules, redaction rules, users, scheduled tasks and their lease over one
 * RedisState, loaded and following every process's changes. A Redis that cannot be reached now does
 * not stop the start: the switch and the rules are stale, so calls are refused (503) until Redis
 * answers, then they are read and followed again without a restart.
 */
export async function redisSettings(state: RedisState, options: WatchedKeyOptions & { logger?: Logger } = {}): Promise<RedisSettings> {
  const killSwitchStore = new RedisKillSwitchStore(state, options);
  const contentStore = new RedisContentRuleStore(state, options);
  const redactionStore = new RedisRedactionRuleStore(state, options);
  const taskStore = new RedisTaskStore(state, options);
  const killSwitch = new KillSwitch({ store: killSwitchStore });
  const contentFilter = new ContentFilter({ store: contentStore });
  const redaction = new RedactionRules(redactionStore);
  const started = await Promise.allSettled([
    killSwitchStore.start().then(() => killSwitch.load()),
    contentStore.start().then(() => contentFilter.load()),
    redactionStore.start().then(() => redaction.load()),
    // The scheduler loads the tasks itself (and follows them once Redis answers, if it does not yet).
    taskStore.start(),
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
    taskStore,
    close() {
      killSwitch.close();
      contentFilter.close();
      redaction.close();
      killSwitchStore.close();
      contentStore.close();
      redactionStore.close();
      taskStore.close();
    },
  };
}
