import type { ApprovalFeed, ApprovalFeedChange, ApprovalFeedListener } from '@agent-gateway/core';
import type { Redis } from 'ioredis';
import { stateUnavailable, type RedisState } from './redis-state.js';

// KEYS: the sequence, the stream (one `{approvals}` tag). ARGV: max length, the change as JSON.
// The stream entry's id is `<seq>-0`, so the SSE event id stays one number across every process.
const PUBLISH = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], seq .. '-0', 'change', ARGV[2])
return seq`;

/** Options of `new RedisApprovalFeed(state, options)`: how many changes the stream keeps and replays. */
export interface RedisApprovalFeedOptions {
  /** Changes the stream keeps (approximately, `XADD MAXLEN ~`). Default 10,000. */
  readonly maxLength?: number;
  /** Changes a new subscriber loads for `Last-Event-ID` replay. Default 1000 (the queue's replay buffer). */
  readonly history?: number;
  /** How long one blocking read waits before it asks again. Default 5000 ms. */
  readonly blockMs?: number;
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

/**
 * Approval changes through a Redis Stream of bounded length: every process appends the changes it
 * makes and reads everyone's on a connection of its own (a blocking read holds it), so waiters and
 * SSE clients on every process see every decision, and a client replaying by `Last-Event-ID` gets
 * the same ids whichever process it reconnects to. While Redis is down the reader retries; when it
 * comes back it resumes after the last change it saw (unless the stream was trimmed past it).
 */
export class RedisApprovalFeed implements ApprovalFeed {
  readonly #state: RedisState;
  readonly #maxLength: number;
  readonly #history: number;
  readonly #blockMs: number;
  #ready: Promise<void> | undefined;
  #loaded = true;

  constructor(state: RedisState, options: RedisApprovalFeedOptions = {}) {
    this.#state = state;
    this.#maxLength = options.maxLength ?? 10_000;
    this.#history = options.history ?? 1000;
    this.#blockMs = options.blockMs ?? 5000;
  }

  /**
   * Resolves once the subscriber has loaded the history and reads live (at once without a subscriber):
   * a change published after it reaches this process's subscriber live, not as history.
   */
  get ready(): Promise<void> {
    return this.#ready ?? Promise.resolve();
  }

  async publish(change: Omit<ApprovalFeedChange, 'seq'>): Promise<void> {
    // This process's own changes always come after its history, so its own waiters hear them;
    // while Redis is down the history cannot load, and the change fails now instead of waiting.
    if (!this.#loaded) {
      if (!this.#state.up) throw stateUnavailable(new Error('Redis is not connected'));
      await this.#ready;
    }
    await this.#state.run((client) => client.eval(PUBLISH, 2, this.#key('seq'), this.#key('feed'), this.#maxLength, JSON.stringify(change)));
  }

  subscribe(listener: ApprovalFeedListener): () => void {
    // Its own connection: a blocking read would hold up every other command on the shared one.
    const reader = this.#state.client.duplicate({ commandTimeout: this.#blockMs + 5000 });
    reader.on('error', () => undefined);
    let stopped = false;
    let loaded = (): void => undefined;
    this.#ready ??= new Promise<void>((resolve) => {
      this.#loaded = false;
      loaded = () => {
        this.#loaded = true;
        resolve();
      };
    });
    void this.#read(reader, listener, () => stopped, loaded);
    return () => {
      stopped = true;
      loaded();
      reader.disconnect();
    };
  }

  async #read(reader: Redis, listener: ApprovalFeedListener, stopped: () => boolean, loaded: () => void): Promise<void> {
    const stream = this.#key('feed');
    let lastId: string | undefined;
    while (!stopped()) {
      try {
        if (reader.status === 'wait') await reader.connect();
        if (lastId === undefined) {
          const newestFirst = await reader.xrevrange(stream, '+', '-', 'COUNT', this.#history);
          lastId = newestFirst[0]?.[0] ?? '0-0';
          listener.history(newestFirst.reverse().map(([id, fields]) => changeOf(id, fields)));
          loaded();
          continue;
        }
        const reply = (await reader.xread('COUNT', 100, 'BLOCK', this.#blockMs, 'STREAMS', stream, lastId)) as StreamReply;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            if (!stopped()) listener.change(changeOf(id, fields));
          }
        }
      } catch {
        // Redis is down or the connection was cut: ioredis reconnects; ask again shortly.
        if (!stopped()) await new Promise((resolve) => setTimeout(resolve, 250).unref());
      }
    }
  }

  #key(name: string): string {
    return this.#state.key('{approvals}', name);
  }
}

function changeOf(id: string, fields: readonly string[]): ApprovalFeedChange {
  const json = fields[fields.indexOf('change') + 1] ?? '{}';
  return { ...(JSON.parse(json) as Omit<ApprovalFeedChange, 'seq'>), seq: Number(id.split('-')[0]) };
}
