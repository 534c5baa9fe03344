import { normalizeOrigin, type RedactionRuleStore } from '@agent-gateway/core';
import type { Redis } from 'ioredis';
import { stateUnavailable, type RedisState } from './redis-state.js';
import { WatchedKey, type WatchedKeyOptions } from './watched-key.js';
import { Listeners } from './listeners.js';

/**
 * Redaction rules in one Redis hash (origin -> its fields), shared by every process. Setting an origin
 * writes that origin alone, so processes setting different origins at once lose nothing. Each process
 * keeps a copy, refreshed by pub/sub and read again on reconnect and every `refreshMs`. While Redis is
 * down the copy stays as last read (calls are refused meanwhile by the shared kill switch, which fails
 * closed). Call `start()` before use.
 */
export class RedisRedactionRuleStore implements RedactionRuleStore {
  readonly #state: RedisState;
  readonly #key: string;
  readonly #watched: WatchedKey<Record<string, string[]>>;
  readonly #listeners = new Listeners<Record<string, string[]>>();
  #last = '';

  constructor(state: RedisState, options: WatchedKeyOptions = {}) {
    this.#state = state;
    this.#key = state.key('redaction-rules');
    this.#watched = new WatchedKey(state, 'redaction-rules', (client) => this.#read(client), (rules) => this.#changed(rules), options);
  }

  /** Starts following the rules (pub/sub, a periodic read); call before use. */
  start(): Promise<void> {
    return this.#watched.start();
  }

  load(): Promise<Record<string, string[]>> {
    return this.#state.run((client) => this.#read(client));
  }

  /** Replaces every origin's rules (one transaction). */
  async save(rules: Record<string, string[]>): Promise<void> {
    const entries = Object.entries(rules).filter(([, fields]) => fields.length > 0);
    await this.#state.run(async (client) => {
      const multi = client.multi().del(this.#key);
      if (entries.length > 0) multi.hset(this.#key, Object.fromEntries(entries.map(([origin, fields]) => [origin, JSON.stringify(fields)])));
      const replies = await multi.exec();
      const failed = replies?.find(([error]) => error !== null);
      if (replies === null || failed !== undefined) throw failed?.[0] ?? new Error('the transaction was aborted');
    });
    await this.#watched.publish().catch(() => undefined);
  }

  async saveOrigin(origin: string, fields: readonly string[]): Promise<void> {
    const normalized = normalizeOrigin(origin);
    await this.#state.run((client) => (fields.length === 0 ? client.hdel(this.#key, normalized) : client.hset(this.#key, normalized, JSON.stringify(fields))));
    await this.#watched.publish().catch(() => undefined);
  }

  watch(onChange: (rules: Record<string, string[]>) => void): () => void {
    return this.#listeners.add(onChange);
  }

  get current(): boolean {
    return this.#watched.current;
  }

  /** Stops following the rules; the connection stays open. */
  close(): void {
    this.#listeners.clear();
    this.#watched.close();
  }

  async #read(client: Redis): Promise<Record<string, string[]>> {
    const stored = await client.hgetall(this.#key);
    const rules: Record<string, string[]> = {};
    for (const [origin, raw] of Object.entries(stored)) {
      const fields = safeFields(raw);
      if (fields === undefined) throw stateUnavailable(new Error(`unreadable redaction rules are stored under ${this.#key}`));
      rules[origin] = fields;
    }
    return rules;
  }

  #changed(rules: Record<string, string[]>): void {
    const text = JSON.stringify(Object.entries(rules).sort(([a], [b]) => a.localeCompare(b)));
    if (text === this.#last) return;
    this.#last = text;
    this.#listeners.emit(rules);
  }
}

function safeFields(raw: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) && value.every((field) => typeof field === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}
