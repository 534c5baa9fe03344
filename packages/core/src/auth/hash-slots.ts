import { AuthBusyError } from '../errors/index.js';

/** How many password hashes run at once and wait: `auth: { hashSlots }`. */
export interface HashSlotOptions {
  /**
   * Password hashes run at once. Default 2: each scrypt run holds 128 MiB and one of libuv's four
   * threads, which file I/O (the audit log, state files) shares, so the rest of the gateway keeps
   * answering while logins are checked.
   */
  readonly maxConcurrent?: number;
  /** Hashes that may wait for a slot; one more is refused at once with 503 `auth_busy`. Default 32. */
  readonly maxQueued?: number;
}

/**
 * A small semaphore with a bounded queue around the deliberately slow password hash: a flood of
 * logins waits in a short line or is turned away, instead of piling up scrypt runs that starve
 * every other request of threads and memory.
 */
export class HashSlots {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: HashSlotOptions = {}) {
    this.maxConcurrent = options.maxConcurrent ?? 2;
    this.maxQueued = options.maxQueued ?? 32;
    if (!Number.isInteger(this.maxConcurrent) || this.maxConcurrent < 1) throw new RangeError('maxConcurrent must be a whole number of at least 1');
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new RangeError('maxQueued must be a whole number of at least 0');
  }

  /** Runs `task` in a slot; rejects with AuthBusyError at once when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.maxConcurrent) this.#running += 1;
    else if (this.#waiting.length < this.maxQueued) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else throw new AuthBusyError();
    try {
      return await task();
    } finally {
      // The slot passes straight to the next in line, so `#running` never dips and lets a newcomer jump the queue.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }
}
