import { SandboxError } from './sandbox-error.js';

interface Waiter<T> {
  readonly signal: AbortSignal | undefined;
  readonly timer: NodeJS.Timeout;
  resolve(value: T): void;
  reject(error: SandboxError): void;
}

/**
 * The calls waiting for a free worker, first come first served: bounded in length (past it
 * `sandbox_busy` at once) and in time (past it `sandbox_busy`), and left at once when the caller's
 * signal aborts. Many calls share one signal (the gateway's own), so each signal gets one listener
 * however many of its calls wait, not one per call.
 */
export class WaitQueue<T> {
  readonly #maxLength: number;
  readonly #timeoutMs: number;
  readonly #waiters: Waiter<T>[] = [];
  readonly #bySignal = new Map<AbortSignal, { readonly waiters: Set<Waiter<T>>; readonly onAbort: () => void }>();

  constructor(maxLength: number, timeoutMs: number) {
    this.#maxLength = maxLength;
    this.#timeoutMs = timeoutMs;
  }

  get length(): number {
    return this.#waiters.length;
  }

  /** Waits for `handOff`. `busy` says what is full when the queue refuses at once. */
  wait(signal: AbortSignal | undefined, busy: string): Promise<T> {
    if (this.#waiters.length >= this.#maxLength) return Promise.reject(new SandboxError('sandbox_busy', busy));
    if (signal?.aborted === true) return Promise.reject(new SandboxError('sandbox_closed', 'the caller went away before a worker was free'));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        signal,
        // Bounded, so that a call never waits forever on workers that cannot start.
        timer: setTimeout(() => this.#leave(waiter, new SandboxError('sandbox_busy', `no worker was free within ${this.#timeoutMs} ms`)), this.#timeoutMs),
        resolve,
        reject,
      };
      this.#waiters.push(waiter);
      if (signal !== undefined) this.#listen(signal, waiter);
    });
  }

  /** Gives `value` to the longest-waiting call. False when nobody waits. */
  handOff(value: T): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    this.#forget(waiter);
    waiter.resolve(value);
    return true;
  }

  rejectAll(error: SandboxError): void {
    for (const waiter of this.#waiters.splice(0)) {
      this.#forget(waiter);
      waiter.reject(error);
    }
  }

  #listen(signal: AbortSignal, waiter: Waiter<T>): void {
    let entry = this.#bySignal.get(signal);
    if (entry === undefined) {
      const waiters = new Set<Waiter<T>>();
      const onAbort = (): void => {
        for (const each of [...waiters]) this.#leave(each, new SandboxError('sandbox_closed', 'the caller went away while waiting for a worker'));
      };
      entry = { waiters, onAbort };
      this.#bySignal.set(signal, entry);
      // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, the last waiter to leave removes this listener itself
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.waiters.add(waiter);
  }

  #leave(waiter: Waiter<T>, error: SandboxError): void {
    const index = this.#waiters.indexOf(waiter);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    this.#forget(waiter);
    waiter.reject(error);
  }

  /** Drops the waiter's timer and, with its signal's last waiter, the signal's listener. */
  #forget(waiter: Waiter<T>): void {
    clearTimeout(waiter.timer);
    if (waiter.signal === undefined) return;
    const entry = this.#bySignal.get(waiter.signal);
    if (entry === undefined) return;
    entry.waiters.delete(waiter);
    if (entry.waiters.size === 0) {
      waiter.signal.removeEventListener('abort', entry.onAbort);
      this.#bySignal.delete(waiter.signal);
    }
  }
}
