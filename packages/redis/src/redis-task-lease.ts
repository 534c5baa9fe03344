import type { TaskLease } from '@agent-gateway/core';
import type { RedisState } from './redis-state.js';

/**
 * Scheduled runs taken once across processes: `SET <prefix>schedule-lease:<task>:<due time> NX PX ttl`.
 * The process whose SET succeeds runs that due time; the others skip it. Each due time has its own key,
 * which expires by itself, so a process that dies mid-run holds nothing the next due time needs; the
 * due time it was running is not run again (at most once per due time). While Redis is down no lease is
 * granted (503), and the scheduler skips the run rather than risk running it twice.
 */
export class RedisTaskLease implements TaskLease {
  readonly #state: RedisState;
  readonly #owner: string;

  /** `owner` names this process in the key's value, for whoever inspects Redis. */
  constructor(state: RedisState, owner = `pid ${process.pid}`) {
    this.#state = state;
    this.#owner = owner;
  }

  async acquire(task: string, dueAt: number, ttlMs: number): Promise<boolean> {
    const key = this.#state.key('schedule-lease', task, String(dueAt));
    const reply = await this.#state.run((client) => client.set(key, this.#owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'));
    return reply === 'OK';
  }
}
