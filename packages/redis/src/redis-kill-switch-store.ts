import { killSwitchStateSchema, type KillSwitchState, type KillSwitchStore } from '@agent-gateway/core';
import type { RedisState } from './redis-state.js';
import { WatchedKey, type WatchedKeyOptions } from './watched-key.js';
import { Listeners } from './listeners.js';

const OFF: KillSwitchState = { enabled: false };

/**
 * The kill switch in Redis, one for every process. Each process keeps a copy (the pipeline reads the
 * switch synchronously), refreshed by pub/sub within the message's delivery time and read again every
 * `refreshMs`. Fail closed: a copy not confirmed by Redis for `maxStalenessMs` (default 1 s), or whose
 * subscriber connection is down, makes `assertCurrent` throw 503 `state_unavailable`, so calls are
 * refused rather than run under a switch that may have been thrown elsewhere. Call `start()` before use.
 */
export class RedisKillSwitchStore implements KillSwitchStore {
  readonly #state: RedisState;
  readonly #key: string;
  readonly #watched: WatchedKey<KillSwitchState>;
  readonly #listeners = new Listeners<KillSwitchState>();

  constructor(state: RedisState, options: WatchedKeyOptions = {}) {
    this.#state = state;
    this.#key = state.key('kill-switch');
    this.#watched = new WatchedKey(state, 'kill-switch', (client) => client.get(this.#key).then(parse), (value) => this.#listeners.emit(value), options);
  }

  /** Subscribes and reads the switch; rejects with 503 when Redis cannot be reached. */
  start(): Promise<void> {
    return this.#watched.start();
  }

  async load(): Promise<KillSwitchState | undefined> {
    return this.#state.run((client) => client.get(this.#key).then(parse));
  }

  async save(state: KillSwitchState): Promise<void> {
    await this.#state.run((client) => client.set(this.#key, JSON.stringify(state)));
    // Written is what matters: a lost message is made up for by every process's next read.
    await this.#watched.publish().catch(() => undefined);
  }

  watch(onChange: (state: KillSwitchState) => void): () => void {
    return this.#listeners.add(onChange);
  }

  assertCurrent(): void {
    this.#watched.assertCurrent();
  }

  /** Stops following the switch (pub/sub and the periodic read); the connection stays open. */
  close(): void {
    this.#listeners.clear();
    this.#watched.close();
  }
}

/** A value that is not a switch state (written by hand, or by another program) reads as on: fail closed. */
function parse(raw: string | null): KillSwitchState {
  if (raw === null) return OFF;
  try {
    const parsed = killSwitchStateSchema.safeParse(JSON.parse(raw));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return { enabled: true, reason: 'the stored kill-switch state is unreadable' };
}
