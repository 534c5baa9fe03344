import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectBwrap, scrubbedEnvironment, workerCommand, type IsolationMode, type IsolationReport } from './isolation.js';
import { SandboxError } from './sandbox-error.js';
import { WorkerProcess } from './worker-process.js';

/** Minimal logging surface (the gateway's Logger fits). */
export interface SandboxLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

export interface SandboxPoolOptions {
  /** Persistent workers (SANDBOX_POOL_SIZE). Default 2. */
  readonly size?: number;
  /** The worker program (SANDBOX_WORKER_PATH); `.py` runs with python3. Default: the bundled worker. */
  readonly workerPath?: string;
  /** Per call (SANDBOX_WORKER_TIMEOUT). Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Calls allowed to wait for a free worker; beyond it `sandbox_busy`. Default 100. */
  readonly maxQueue?: number;
  /** Tool modules the bundled worker's `run` action may load (`<toolsDir>/<name>.mjs`). */
  readonly toolsDir?: string;
  /** V8 heap limit of a JavaScript worker. Default 128 MiB. */
  readonly heapLimitMb?: number;
  /** `auto` (default): bubblewrap when usable; `bwrap`: required; `none`: never. */
  readonly isolation?: IsolationMode;
  /** Where each worker gets its fresh scratch directory. Default: the OS temp dir. */
  readonly scratchRoot?: string;
  /** Variables given to workers on purpose (their environment is otherwise empty). */
  readonly env?: Readonly<Record<string, string>>;
  readonly killGraceMs?: number;
  /** First wait before restarting a crashed worker; doubles per consecutive crash up to `maxRestartDelayMs`. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  readonly logger?: SandboxLogger;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What `/health/worker` reports. */
export interface SandboxHealth {
  readonly healthy: boolean;
  readonly alive: number;
  readonly size: number;
  readonly details: { readonly isolation: IsolationReport; readonly restarts: number; readonly queued: number };
}

interface Slot {
  readonly index: number;
  worker: WorkerProcess | undefined;
  scratch: string | undefined;
  busy: boolean;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: SandboxError): void;
}

/** The bundled worker, shipped beside the build (`worker/worker.mjs`). */
export const BUNDLED_WORKER_PATH = fileURLToPath(new URL('../worker/worker.mjs', import.meta.url));

const silent: SandboxLogger = { info() {}, warn() {}, error() {} };

/**
 * A pool of persistent worker processes. A call takes an idle worker (or waits in a bounded queue),
 * is sent over the line protocol, and must answer within the timeout: a hung worker is killed and
 * replaced, a crashed one is replaced with backoff, and only the call in flight on it fails.
 */
export class SandboxPool extends EventEmitter<{ restart: [{ index: number; reason: string }] }> {
  readonly size: number;
  readonly timeoutMs: number;
  readonly isolation: IsolationReport;
  readonly #options: SandboxPoolOptions;
  readonly #workerPath: string;
  readonly #maxQueue: number;
  readonly #logger: SandboxLogger;
  readonly #slots: Slot[];
  readonly #waiters: Waiter[] = [];
  readonly #scratchRoot: string;
  #restarts = 0;
  #closed = false;

  private constructor(options: SandboxPoolOptions, isolation: IsolationReport, scratchRoot: string) {
    super();
    this.#options = options;
    this.size = options.size ?? 2;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.#maxQueue = options.maxQueue ?? 100;
    this.#workerPath = resolve(options.workerPath ?? BUNDLED_WORKER_PATH);
    this.#logger = options.logger ?? silent;
    this.isolation = isolation;
    this.#scratchRoot = scratchRoot;
    this.#slots = Array.from({ length: this.size }, (_, index) => ({
      index,
      worker: undefined,
      scratch: undefined,
      busy: false,
      crashes: 0,
      restartTimer: undefined,
    }));
  }

  /** Starts the workers. Isolation is detected here, once. */
  static async start(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
    const size = options.size ?? 2;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    const mode = options.isolation ?? 'auto';
    const bwrap = mode === 'none' ? { usable: false, reason: 'disabled' } : detectBwrap();
    if (mode === 'bwrap' && !bwrap.usable) throw new SandboxError('sandbox_unavailable', `bubblewrap required but ${bwrap.reason}`);
    const isPython = (options.workerPath ?? '').endsWith('.py');
    const isolation: IsolationReport = {
      permissionModel: !isPython,
      bwrap: bwrap.usable,
      ...(bwrap.usable ? {} : { bwrapReason: bwrap.reason }),
      heapLimitMb: isPython ? undefined : (options.heapLimitMb ?? 128),
    };
    const scratchRoot = await mkdtemp(join(options.scratchRoot ?? tmpdir(), 'agent-gateway-sandbox-'));
    const pool = new SandboxPool(options, isolation, scratchRoot);
    await Promise.all(pool.#slots.map((slot) => pool.#spawn(slot)));
    return pool;
  }

  /** Runs `action` on a worker. Rejects with a SandboxError saying exactly what went wrong. */
  async call(action: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    const slot = await this.#checkout(options.signal);
    const worker = slot.worker;
    if (worker === undefined) {
      this.#release(slot);
      throw new SandboxError('sandbox_unavailable', 'no worker is running');
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SandboxError('sandbox_timeout', `worker did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const result = await Promise.race([worker.request(action, params), timedOut]);
      slot.crashes = 0;
      return result;
    } catch (error) {
      const failure = error instanceof SandboxError ? error : new SandboxError('sandbox_crashed', String(error), { cause: error });
      if (failure.code === 'sandbox_timeout') {
        this.#logger.error('SandboxError: worker timed out; killing and replacing it', { worker: slot.index, pid: worker.pid });
        await worker.kill();
      } else if (failure.code !== 'worker_error' && failure.code !== 'sandbox_request_too_large') {
        this.#logger.error(`SandboxError: ${failure.message}`, { worker: slot.index, code: failure.code });
      }
      throw failure;
    } finally {
      clearTimeout(timer);
      this.#release(slot);
    }
  }

  /** Pings every idle worker; busy ones count as alive. Never throws. */
  async health(): Promise<SandboxHealth> {
    const checks = await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.worker === undefined || !slot.worker.alive) return false;
        if (slot.busy) return true;
        slot.busy = true;
        try {
          await Promise.race([slot.worker.request('ping', {}), new Promise((_, reject) => setTimeout(reject, 1000).unref())]);
          return true;
        } catch {
          return false;
        } finally {
          this.#release(slot);
        }
      }),
    );
    const alive = checks.filter(Boolean).length;
    return {
      healthy: !this.#closed && alive === this.size,
      alive,
      size: this.size,
      details: { isolation: this.isolation, restarts: this.#restarts, queued: this.#waiters.length },
    };
  }

  /** The pids of the running workers (for tests and diagnostics). */
  get pids(): number[] {
    return this.#slots.flatMap((slot) => (slot.worker?.pid === undefined ? [] : [slot.worker.pid]));
  }

  /** Refuses new calls, fails queued ones, lets running calls finish, then stops every worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new SandboxError('sandbox_closed', 'the sandbox pool is closing'));
    for (let i = 0; i < 100 && this.#slots.some((slot) => slot.busy); i += 1) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        await slot.worker?.stop();
      }),
    );
    await rm(this.#scratchRoot, { recursive: true, force: true });
  }

  #checkout(signal: AbortSignal | undefined): Promise<Slot> {
    if (this.#closed) return Promise.reject(new SandboxError('sandbox_closed', 'the sandbox pool is closed'));
    const idle = this.#slots.find((slot) => !slot.busy && slot.worker?.alive === true);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.#waiters.length >= this.#maxQueue) {
      return Promise.reject(new SandboxError('sandbox_busy', `all ${this.size} workers are busy and ${this.#maxQueue} calls are waiting`));
    }
    return new Promise<Slot>((resolveSlot, reject) => {
      const waiter: Waiter = {
        resolve: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolveSlot(slot);
        },
        reject,
      };
      const onAbort = (): void => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(new SandboxError('sandbox_closed', 'the caller went away while waiting for a worker'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Hands a slot back: to the next waiter if its worker lives, else it waits for its replacement. */
  #release(slot: Slot): void {
    slot.busy = false;
    if (slot.worker?.alive !== true) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      slot.busy = true;
      waiter.resolve(slot);
    }
  }

  async #spawn(slot: Slot): Promise<void> {
    if (this.#closed) return;
    const scratch = await mkdtemp(join(this.#scratchRoot, `worker-${slot.index}-`));
    const { command, args } = workerCommand({
      workerPath: this.#workerPath,
      scratchDir: scratch,
      toolsDir: this.#options.toolsDir === undefined ? undefined : resolve(this.#options.toolsDir),
      heapLimitMb: this.#options.heapLimitMb ?? 128,
      bwrap: this.isolation.bwrap,
    });
    const env = scrubbedEnvironment(scratch, {
      ...(this.#options.toolsDir === undefined ? {} : { SANDBOX_TOOLS_DIR: resolve(this.#options.toolsDir) }),
      ...this.#options.env,
    });
    const worker = new WorkerProcess({
      command,
      args,
      env,
      cwd: scratch,
      ...(this.#options.killGraceMs === undefined ? {} : { killGraceMs: this.#options.killGraceMs }),
    });
    slot.worker = worker;
    slot.scratch = scratch;
    void worker.exited.then(() => this.#onExit(slot, worker, scratch));
    this.#release(slot);
  }

  /** A worker is gone: unless the pool is closing, start a fresh one (with backoff after crashes). */
  #onExit(slot: Slot, worker: WorkerProcess, scratch: string): void {
    void rm(scratch, { recursive: true, force: true });
    if (this.#closed || slot.worker !== worker) return;
    slot.worker = undefined;
    slot.crashes += 1;
    const delay = Math.min(this.#options.maxRestartDelayMs ?? 5000, (this.#options.restartDelayMs ?? 100) * 2 ** (slot.crashes - 1));
    this.#restarts += 1;
    const reason = worker.stderrTail.trim().split('\n').at(-1) ?? '';
    this.#logger.warn('WorkerProcess.restart', { worker: slot.index, pid: worker.pid, in_ms: delay, reason: reason.slice(0, 200) });
    this.emit('restart', { index: slot.index, reason });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.#spawn(slot).catch((error: unknown) => this.#logger.error('SandboxError: could not restart a worker', { error }));
    }, delay);
    slot.restartTimer.unref();
  }
}
