import { contentRuleSchema, type ContentRule, type ContentRuleStore } from '@agent-gateway/core';
import type { Redis } from 'ioredis';
import { stateUnavailable, type RedisState } from './redis-state.js';
import { WatchedKey, type WatchedKeyOptions } from './watched-key.js';
import { Listeners } from './listeners.js';

/**
 * Content-filter rules in one Redis hash (rule id -> rule), shared by every process: an add or a remove
 * touches one field, so processes changing rules at once lose nothing. Each process keeps a compiled
 * copy, refreshed by pub/sub and read again on reconnect and every `refreshMs`; a copy not confirmed
 * for `maxStalenessMs` (default 1 s) makes `check` refuse calls with 503 rather than miss a new rule.
 * Call `start()` before use.
 */
export class RedisContentRuleStore implements ContentRuleStore {
  readonly #state: RedisState;
  readonly #key: string;
  readonly #watched: WatchedKey<ContentRule[]>;
  readonly #listeners = new Listeners<ContentRule[]>();
  #last = '';

  constructor(state: RedisState, options: WatchedKeyOptions = {}) {
    this.#state = state;
    this.#key = state.key('content-filter');
    this.#watched = new WatchedKey(state, 'content-filter', (client) => this.#read(client), (rules) => this.#changed(rules), options);
  }

  /** Starts following the rules (pub/sub, a periodic read); call before use. */
  start(): Promise<void> {
    return this.#watched.start();
  }

  load(): Promise<ContentRule[]> {
    return this.#state.run((client) => this.#read(client));
  }

  async add(rule: ContentRule): Promise<void> {
    await this.#state.run((client) => client.hset(this.#key, rule.id, JSON.stringify(contentRuleSchema.parse(rule))));
    await this.#watched.publish().catch(() => undefined);
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.#state.run((client) => client.hdel(this.#key, id));
    await this.#watched.publish().catch(() => undefined);
    return removed > 0;
  }

  watch(onChange: (rules: ContentRule[]) => void): () => void {
    return this.#listeners.add(onChange);
  }

  assertCurrent(): void {
    this.#watched.assertCurrent();
  }

  /** Stops following the rules; the connection stays open. */
  close(): void {
    this.#listeners.clear();
    this.#watched.close();
  }

  async #read(client: Redis): Promise<ContentRule[]> {
    const stored = await client.hgetall(this.#key);
    const rules = Object.values(stored).map((raw) => {
      const parsed = contentRuleSchema.safeParse(safeJson(raw));
      // A rule that cannot be read could be the one that blocks this call: refuse until it is fixed.
      if (!parsed.success) throw stateUnavailable(new Error(`an unreadable content-filter rule is stored under ${this.#key}`));
      return parsed.data;
    });
    return rules.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** Recompiled only when something changed, not at every refresh. */
  #changed(rules: ContentRule[]): void {
    const text = JSON.stringify(rules);
    if (text === this.#last) return;
    this.#last = text;
    this.#listeners.emit(rules);
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
