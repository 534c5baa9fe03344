import type { Redis } from 'ioredis';
import { stateUnavailable, type RedisState } from './redis-state.js';

/**
 * How a process keeps its copy of a shared value current: how often it reads it again, and how stale a copy
 * may be.
 */
export interface WatchedKeyOptions {
  /** How often the value is read again even without a message, to notice a lost connection. Default 250 ms. */
  readonly refreshMs?: number;
  /** A copy not confirmed by a read for this long is not trusted (`assertCurrent` throws 503). Default 1000 ms. */
  readonly maxStalenessMs?: number;
}

/**
 * A value kept in Redis that each process holds a copy of, for synchronous reads. A change is published
 * on a channel under the key prefix; every process's subscriber connection hears it and reads the value
 * again, so the change reaches them within the message's delivery time. Messages sent while a subscriber
 * was disconnected are lost, so it reads again on every reconnect; and because a half-open connection
 * can look alive, the value is also read every `refreshMs`. A copy that no read has confirmed for
 * `maxStalenessMs`, or whose subscriber is down, is stale: `assertCurrent` throws 503 `state_unavailable`.
 */
export class WatchedKey<T> {
  readonly #state: RedisState;
  readonly #channel: string;
  readonly #read: (client: Redis) => Promise<T>;
  readonly #onValue: (value: T) => void;
  readonly #refreshMs: number;
  readonly #maxStalenessMs: number;
  readonly #subscriber: Redis;
  #confirmedAt = Number.NEGATIVE_INFINITY;
  #subscribed = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #reading: Promise<void> | undefined;
  #again = false;

  constructor(state: RedisState, name: string, read: (client: Redis) => Promise<T>, onValue: (value: T) => void, options: WatchedKeyOptions = {}) {
    this.#state = state;
    this.#channel = state.key('changed', name);
    this.#read = read;
    this.#onValue = onValue;
    this.#refreshMs = options.refreshMs ?? 250;
    this.#maxStalenessMs = options.maxStalenessMs ?? 1000;
    this.#subscriber = state.client.duplicate();
    this.#subscriber.on('error', () => undefined);
    this.#subscriber.on('message', (channel: string) => {
      if (channel === this.#channel) void this.refresh().catch(() => undefined);
    });
    this.#subscriber.on('close', () => {
      this.#subscribed = false;
    });
    // Messages sent while this connection was down are lost: subscribe and read again.
    this.#subscriber.on('ready', () => void this.#resubscribe());
  }

  /**
   * Connects the subscriber and reads the value; rejects with 503 if Redis cannot be reached. Even
   * then it keeps trying in the background: the copy is stale (refused) until Redis answers.
   */
  async start(): Promise<void> {
    this.#timer ??= setInterval(() => void this.refresh().catch(() => undefined), this.#refreshMs).unref();
    try {
      if (this.#subscriber.status === 'wait') await this.#subscriber.connect();
      await this.#subscriber.subscribe(this.#channel);
      this.#subscribed = true;
    } catch (error) {
      throw stateUnavailable(error);
    }
    await this.refresh();
  }

  /** Tells every process (this one included) to read the value again. */
  async publish(): Promise<void> {
    await this.#state.run((client) => client.publish(this.#channel, '1'));
  }

  /** Reads the value now; overlapping calls share one read, plus one more if asked for during it. */
  refresh(): Promise<void> {
    if (this.#reading !== undefined) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          const value = await this.#state.run(this.#read);
          if (this.#closed) return;
          this.#confirmedAt = Date.now();
          this.#onValue(value);
        } while (this.#again);
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  get current(): boolean {
    return this.#subscribed && this.#subscriber.status === 'ready' && Date.now() - this.#confirmedAt <= this.#maxStalenessMs;
  }

  /**
   * Throws `503 state_unavailable` when the copy is not confirmed by a recent read: a decision on it would be
   * stale.
   */
  assertCurrent(): void {
    if (!this.current) throw stateUnavailable(new Error(`the copy of ${this.#channel} is not confirmed by Redis`));
  }

  /** Stops following the value (pub/sub and the periodic read). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#subscriber.disconnect();
  }

  async #resubscribe(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#subscriber.subscribe(this.#channel);
      this.#subscribed = true;
      await this.refresh();
    } catch {
      // Still down: the copy stays stale until the next ready or refresh.
    }
  }
}
