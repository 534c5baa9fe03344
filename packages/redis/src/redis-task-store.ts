import { GatewayError, taskInputSchema, type TaskChange, type TaskDefinition, type TaskStore } from '@agent-gateway/core';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';
import { stateUnavailable, type RedisState } from './redis-state.js';
import { WatchedKey, type WatchedKeyOptions } from './watched-key.js';
import { Listeners } from './listeners.js';

/** Writes the list only if no other process wrote since it was read (the revision is still the one read). */
const COMPARE_AND_SET = new LuaScript(`
local revision = redis.call('HGET', KEYS[1], 'revision') or '0'
if revision ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'revision', tostring(tonumber(revision) + 1), 'tasks', ARGV[2])
return 1
`);

const tasksSchema = taskInputSchema.array();

interface Stored {
  readonly revision: string;
  readonly tasks: TaskDefinition[];
}

/** Options of `new RedisTaskStore(state, options)`. */
export interface RedisTaskStoreOptions extends WatchedKeyOptions {
  /** How many times an update is tried again when other processes keep writing in between. Default 20. */
  readonly maxAttempts?: number;
}

/**
 * Scheduled-task definitions in one Redis hash (`<prefix>schedule`: the list as JSON and a revision),
 * one copy for every process. An update reads the list and its revision, applies the change and writes
 * it back in a Lua compare-and-set that fails if another process wrote in between; it is then applied
 * again to the newer list, so concurrent changes on different processes are all kept. Every process
 * follows the list (pub/sub, plus a read every `refreshMs` and on reconnect, as the kill switch) and its
 * scheduler arms and disarms timers to match. While Redis is down, changes are refused with 503 and
 * each process keeps running the tasks it last read. Call `start()` before use.
 */
export class RedisTaskStore implements TaskStore {
  readonly #state: RedisState;
  readonly #key: string;
  readonly #maxAttempts: number;
  readonly #watched: WatchedKey<Stored>;
  readonly #listeners = new Listeners<TaskDefinition[]>();
  #current: TaskDefinition[] = [];
  /** This process's updates, one at a time: they never race each other, only other processes. */
  #queue: Promise<unknown> = Promise.resolve();
  #last = '';

  constructor(state: RedisState, options: RedisTaskStoreOptions = {}) {
    this.#state = state;
    this.#key = state.key('schedule');
    this.#maxAttempts = options.maxAttempts ?? 20;
    this.#watched = new WatchedKey(state, 'schedule', (client) => this.#read(client), (stored) => this.#changed(stored.tasks), options);
  }

  /** Subscribes and reads the tasks; rejects with 503 when Redis cannot be reached (and keeps trying). */
  start(): Promise<void> {
    return this.#watched.start();
  }

  /**
   * Read through the watched copy, so a list handed to the scheduler here is never older than one
   * its watch has already delivered.
   */
  async load(): Promise<TaskDefinition[]> {
    await this.#watched.refresh();
    return [...this.#current];
  }

  update(change: TaskChange): Promise<TaskDefinition[]> {
    const result = this.#queue.then(() => this.#update(change));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #update(change: TaskChange): Promise<TaskDefinition[]> {
    for (let attempt = 0; attempt < this.#maxAttempts; attempt += 1) {
      const { revision, tasks } = await this.#state.run((client) => this.#read(client));
      // Outside `run`: what the change throws (404) is its own answer, not Redis being down.
      const next = tasksSchema.parse(change(tasks));
      const written = await this.#state.run((client) => COMPARE_AND_SET.run(client, [this.#key], [revision, JSON.stringify(next)]));
      if (written !== 1) continue;
      // Delivered by one read after the write, in order with every other read: never older than a list seen before.
      await this.#watched.refresh();
      // Written is what matters: a lost message is made up for by every process's next read.
      await this.#watched.publish().catch(() => undefined);
      return next;
    }
    throw new GatewayError('conflict', 'the scheduled tasks kept changing on other processes; try again');
  }

  watch(onChange: (tasks: TaskDefinition[]) => void): () => void {
    return this.#listeners.add(onChange);
  }

  /** Whether this process's copy is confirmed by Redis (for readiness, not needed to run tasks). */
  get current(): boolean {
    return this.#watched.current;
  }

  /** Stops following the task list (pub/sub and the periodic read); the connection stays open. */
  close(): void {
    this.#listeners.clear();
    this.#watched.close();
  }

  async #read(client: Redis): Promise<Stored> {
    const [stored, raw] = await client.hmget(this.#key, 'revision', 'tasks');
    const revision = stored ?? '0';
    if (raw === null || raw === undefined) return { revision, tasks: [] };
    const parsed = tasksSchema.safeParse(safeJson(raw));
    // Refused rather than read as no tasks: an update would otherwise replace what an operator can still fix.
    if (!parsed.success) throw stateUnavailable(new Error(`unreadable scheduled tasks are stored under ${this.#key}`));
    return { revision, tasks: parsed.data };
  }

  /** Listeners hear a list only when it differs from the last one, not at every refresh. */
  #changed(tasks: TaskDefinition[]): void {
    this.#current = tasks;
    const text = JSON.stringify(tasks);
    if (text === this.#last) return;
    this.#last = text;
    this.#listeners.emit([...tasks]);
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
