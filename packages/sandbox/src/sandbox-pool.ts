import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectBwrap, detectParentDeathSignal, scrubbedEnvironment, workerCommand, type IsolationMode, type IsolationReport } from './isolation.js';
import type { WorkerTrace } from './protocol.js';
import { SandboxError } from './sandbox-error.js';
import { checkDelayOption, clampDelay } from './timer-delay.js';
import { WaitQueue } from './wait-queue.js';
import { childSpan, endSpan, noteWorkerTrace, workerTraceOf } from './tracing.js';
import { WorkerProcess } from './worker-process.js';

/** Minimal logging surface (the gateway's Logger fits). */
export interface SandboxLogger {
  /** Something worth knowing happened (a worker restarted). */
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something went wrong and the pool carried on. */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something failed (a worker crashed or broke the protocol). */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * Every `…Ms` option is at most MAX_TIMER_DELAY_MS (2^31-1 ms, about 24.8 days), finite, and not
 * negative (the timeouts and the ping interval at least 1); `start` refuses any other with a
 * RangeError naming it.
 */
export interface SandboxPoolOptions {
  /** Persistent workers (SANDBOX_POOL_SIZE). Default 2. */
  readonly size?: number;
  /** The worker program (SANDBOX_WORKER_PATH); `.py` runs with python3. Default: the bundled worker. */
  readonly workerPath?: string;
  /** Per call (SANDBOX_WORKER_TIMEOUT). Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Calls allowed to wait for a free worker; beyond it `sandbox_busy`. Default 100. */
  readonly maxQueue?: number;
  /** How long a call may wait for a free worker (all busy, or being replaced); past it `sandbox_busy`. Default 30000 ms. */
  readonly queueTimeoutMs?: number;
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
  /** Between SIGTERM and SIGKILL when the pool closes. Default 500 ms. */
  readonly killGraceMs?: number;
  /** How often an idle worker is pinged; one that misses its ping is killed and replaced. Default 5000 ms. */
  readonly pingIntervalMs?: number;
  /** How long a ping (from the interval or `health()`) may take before the worker counts as hung. Default 1000 ms. */
  readonly pingTimeoutMs?: number;
  /** How long a new worker may take to answer its first ping; it gets no call before. Default 10000 ms. */
  readonly startTimeoutMs?: number;
  /** First wait before restarting a crashed worker; doubles per consecutive crash up to `maxRestartDelayMs`. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  readonly logger?: SandboxLogger;
}

/** Options of one `pool.call(action, params, options)`. */
export interface CallOptions {
  /** This call's timeout instead of the pool's; above 2^31-1 ms it is that (a timer's longest wait). */
  readonly timeoutMs?: number;
  /**
   * The caller's: aborted before a worker takes the call, the call is refused (`sandbox_closed`) and
   * never runs. Once a worker has it, the call runs to its end or its timeout.
   */
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
  /** Held by a call or a ping, from checkout until the answer or the worker's death. */
  busy: boolean;
  /** Its worker has not answered its first ping yet (it counts as not alive). */
  starting: boolean;
  /** The ping in flight, shared by every `health()` that asks meanwhile. */
  ping: { readonly worker: WorkerProcess; readonly answered: Promise<boolean> } | undefined;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/** The bundled worker, shipped beside the build (`worker/worker.mjs`). */
export const BUNDLED_WORKER_PATH = fileURLToPath(new URL('../worker/worker.mjs', import.meta.url));

const silent: SandboxLogger = { info() {}, warn() {}, error() {} };

/**
 * A pool of persistent worker processes. A call takes an idle worker (or waits in a bounded queue),
 * is sent over the line protocol, and must answer within the timeout. Idle workers are pinged on an
 * interval. A worker that misses a ping or a call's timeout is hung: its process group is killed and
 * it is replaced; a crashed one is replaced with backoff; only the call in flight on it fails. A worker
 * is never handed out while a call or a ping is in flight on it; its slot waits until a replacement
 * has answered a first ping.
 */
export class SandboxPool extends EventEmitter<{ restart: [{ index: number; reason: string }] }> {
  readonly size: number;
  readonly timeoutMs: number;
  readonly isolation: IsolationReport;
  readonly #options: SandboxPoolOptions;
  readonly #workerPath: string;
  readonly #maxQueue: number;
  readonly #queue: WaitQueue<Slot>;
  readonly #logger: SandboxLogger;
  readonly #slots: Slot[];
  readonly #scratchRoot: string;
  readonly #pingTimeoutMs: number;
  readonly #pinger: NodeJS.Timeout;
  #restarts = 0;
  #closed = false;

  private constructor(options: SandboxPoolOptions, isolation: IsolationReport, scratchRoot: string) {
    super();
    this.#options = options;
    this.size = options.size ?? 2;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.#maxQueue = options.maxQueue ?? 100;
    this.#queue = new WaitQueue(this.#maxQueue, options.queueTimeoutMs ?? 30_000);
    this.#workerPath = resolve(options.workerPath ?? BUNDLED_WORKER_PATH);
    this.#logger = options.logger ?? silent;
    this.isolation = isolation;
    this.#scratchRoot = scratchRoot;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 1000;
    this.#slots = Array.from({ length: this.size }, (_, index) => ({
      index,
      worker: undefined,
      scratch: undefined,
      busy: false,
      // Stryker disable next-line BooleanLiteral: equivalent, #spawn sets it before the slot has a worker, and #ping looks at it only then
      starting: false,
      ping: undefined,
      crashes: 0,
      restartTimer: undefined,
    }));
    // A slot held by a call or a ping is left to #ping, which counts it alive or shares the ping in flight.
    this.#pinger = setInterval(() => {
      for (const slot of this.#slots) void this.#ping(slot);
    }, options.pingIntervalMs ?? 5000);
    this.#pinger.unref();
  }

  /** Starts the workers. Isolation is detected here, once. */
  static async start(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
    const size = options.size ?? 2;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
    // Checked before anything starts: past 2^31-1 ms Node fires a timer after 1 ms (a ping interval
    // of a month would ping in a tight loop). A zero wait or interval is refused too; a grace or a
    // restart delay of 0 means "at once" and is allowed.
    for (const key of ['timeoutMs', 'queueTimeoutMs', 'pingIntervalMs', 'pingTimeoutMs', 'startTimeoutMs'] as const) checkDelayOption(key, options[key], 1);
    for (const key of ['killGraceMs', 'restartDelayMs', 'maxRestartDelayMs'] as const) checkDelayOption(key, options[key]);
    // Stryker disable next-line StringLiteral: equivalent, only 'none' and 'bwrap' are looked for and any other mode is auto
    const mode = options.isolation ?? 'auto';
    const bwrap = mode === 'none' ? { usable: false, reason: 'disabled' } : detectBwrap();
    if (mode === 'bwrap' && !bwrap.usable) throw new SandboxError('sandbox_unavailable', `bubblewrap required but ${bwrap.reason}`);
    const isPython = options.workerPath?.endsWith('.py') === true;
    const isolation: IsolationReport = {
      permissionModel: !isPython,
      bwrap: bwrap.usable,
      ...(bwrap.usable ? {} : { bwrapReason: bwrap.reason }),
      dieWithParent: bwrap.usable || detectParentDeathSignal(),
      heapLimitMb: isPython ? undefined : (options.heapLimitMb ?? 128),
    };
    const scratchRoot = await mkdtemp(join(options.scratchRoot ?? tmpdir(), 'agent-gateway-sandbox-'));
    const pool = new SandboxPool(options, isolation, scratchRoot);
    try {
      await Promise.all(pool.#slots.map((slot) => pool.#spawn(slot)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Runs `action` on a worker. Rejects with a SandboxError saying exactly what went wrong. */
  async call(action: string, params: unknown, options: CallOptions = {}): Promise<unknown> {
    // Spans only inside a recording trace (a tool call's): the wait for a worker, then the run on it.
    const checkout = childSpan('sandbox checkout', { 'agent_gateway.sandbox.mode': 'pool' });
    let slot: Slot;
    try {
      slot = await this.#checkout(options.signal);
    } catch (error) {
      endSpan(checkout, error);
      throw error;
    }
    endSpan(checkout);
    const worker = slot.worker;
    if (worker === undefined) {
      slot.busy = false;
      throw new SandboxError('sandbox_unavailable', 'no worker is running');
    }
    const run = childSpan(`sandbox run ${action}`, { 'agent_gateway.sandbox.mode': 'pool', 'agent_gateway.sandbox.action': action, 'agent_gateway.sandbox.worker': slot.index });
    const carrier = workerTraceOf(run);
    try {
      const trace = carrier === undefined ? undefined : { context: carrier, answered: (echoed: WorkerTrace | undefined) => noteWorkerTrace(run, echoed) };
      const result = await worker.request(action, params, options.timeoutMs ?? this.timeoutMs, trace);
      slot.crashes = 0;
      endSpan(run);
      return result;
    } catch (error) {
      endSpan(run, error);
      const failure = error instanceof SandboxError ? error : new SandboxError('sandbox_crashed', String(error), { cause: error });
      if (failure.code === 'sandbox_timeout') {
        this.#logger.error('SandboxError: worker timed out; killed its process group, replacing it', { worker: slot.index, pid: worker.pid });
      } else if (failure.code !== 'worker_error' && failure.code !== 'sandbox_request_too_large') {
        this.#logger.error(`SandboxError: ${failure.message}`, { worker: slot.index, code: failure.code });
      }
      throw failure;
    } finally {
      this.#release(slot, worker);
    }
  }

  /** Pings every idle worker (one missing its ping is killed and replaced); busy ones count as alive. Never throws. */
  async health(): Promise<SandboxHealth> {
    const checks = await Promise.all(this.#slots.map((slot) => this.#ping(slot)));
    const alive = checks.filter(Boolean).length;
    return {
      healthy: !this.#closed && alive === this.size,
      alive,
      size: this.size,
      details: { isolation: this.isolation, restarts: this.#restarts, queued: this.#queue.length },
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
    clearInterval(this.#pinger);
    this.#queue.rejectAll(new SandboxError('sandbox_closed', 'the sandbox pool is closing'));
    for (let i = 0; i < 100 && this.#slots.some((slot) => slot.busy); i += 1) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        await slot.worker?.stop();
      }),
    );
    await rm(this.#scratchRoot, { recursive: true, force: true });
  }

  /**
   * Whether the slot's worker answers a ping in time. A slot held by a call counts as alive (the call's
   * own timeout catches a hang); a ping already in flight is shared. The slot is held until the answer
   * or the worker's death: a ping that times out kills the worker rather than freeing the slot early.
   */
  #ping(slot: Slot): Promise<boolean> {
    const worker = slot.worker;
    if (worker === undefined || !worker.alive || slot.starting) return Promise.resolve(false);
    if (slot.ping?.worker === worker) return slot.ping.answered;
    if (slot.busy) return Promise.resolve(true);
    slot.busy = true;
    const answered = this.#answersPing(slot, worker, this.#pingTimeoutMs, 'missed its ping').then((alive) => {
      if (slot.ping?.worker === worker) slot.ping = undefined;
      this.#release(slot, worker);
      return alive;
    });
    slot.ping = { worker, answered };
    return answered;
  }

  /** Sends a ping on a slot the caller holds. Past the timeout the worker is killed (by its request). */
  async #answersPing(slot: Slot, worker: WorkerProcess, timeoutMs: number, missed: string): Promise<boolean> {
    try {
      await worker.request('ping', {}, timeoutMs);
    } catch (error) {
      if (error instanceof SandboxError && error.code === 'sandbox_timeout') {
        this.#logger.error(`SandboxError: worker ${missed}; killed its process group, replacing it`, { worker: slot.index, pid: worker.pid, timeout_ms: timeoutMs });
      }
      // An error answer is still an answer: the worker is alive.
      if (!(error instanceof SandboxError && error.code === 'worker_error')) return false;
    }
    slot.crashes = 0;
    return true;
  }

  #checkout(signal: AbortSignal | undefined): Promise<Slot> {
    if (this.#closed) return Promise.reject(new SandboxError('sandbox_closed', 'the sandbox pool is closed'));
    // An abort that came first fires no event: with a worker free, the call would run for nobody.
    if (signal?.aborted === true) return Promise.reject(new SandboxError('sandbox_closed', 'the caller went away before a worker was free'));
    const idle = this.#slots.find((slot) => !slot.busy && slot.worker?.alive === true && !slot.worker.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    return this.#queue.wait(signal, `all ${this.size} workers are busy and ${this.#maxQueue} calls are waiting`);
  }

  /**
   * Hands a slot back once `worker`'s request is over. A no-op when the slot already holds a newer
   * worker (that one's state is not ours to clear). A dead worker's slot waits for its replacement.
   */
  #release(slot: Slot, worker: WorkerProcess): void {
    if (slot.worker !== worker) return;
    slot.busy = false;
    this.#offer(slot);
  }

  /** Gives an idle slot with a live worker to the next waiter, if any. */
  #offer(slot: Slot): void {
    // Stryker disable next-line OptionalChaining: equivalent, #release calls it only while the slot holds the worker it released
    if (slot.busy || slot.worker?.alive !== true || slot.worker.busy) return;
    // Stryker disable next-line BooleanLiteral: equivalent, the waiter handed the slot is the first job queued and sends its request (making the worker busy) before anything else can look at the slot
    slot.busy = true;
    if (!this.#queue.handOff(slot)) slot.busy = false;
  }

  async #spawn(slot: Slot): Promise<void> {
    if (this.#closed) return;
    const scratch = await mkdtemp(join(this.#scratchRoot, `worker-${slot.index}-`));
    // close() may have begun meanwhile: a worker started now would outlive it.
    if (this.#closed) {
      await rm(scratch, { recursive: true, force: true });
      return;
    }
    const { command, args } = workerCommand({
      workerPath: this.#workerPath,
      scratchDir: scratch,
      toolsDir: this.#options.toolsDir === undefined ? undefined : resolve(this.#options.toolsDir),
      heapLimitMb: this.#options.heapLimitMb ?? 128,
      bwrap: this.isolation.bwrap,
      parentDeathSignal: this.isolation.dieWithParent,
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
    // A fresh worker: whoever held the slot held the dead one, and #release ignores them from now on.
    // The slot stays held until the worker has answered a first ping, so no call waits on its start-up.
    slot.busy = true;
    slot.starting = true;
    void worker.exited.then(() => this.#onExit(slot, worker, scratch));
    await this.#answersPing(slot, worker, this.#options.startTimeoutMs ?? 10_000, 'did not start in time');
    if (slot.worker === worker) slot.starting = false;
    this.#release(slot, worker);
  }

  /** A worker is gone: unless the pool is closing, start a fresh one (with backoff after crashes). */
  #onExit(slot: Slot, worker: WorkerProcess, scratch: string): void {
    void rm(scratch, { recursive: true, force: true });
    if (slot.worker !== worker) return;
    // Whatever held the slot held this worker: the slot is free, and empty until a replacement answers.
    slot.worker = undefined;
    slot.busy = false;
    // Stryker disable next-line BooleanLiteral: equivalent, the slot has no worker now, which #ping looks at first, and #spawn sets it again
    slot.starting = false;
    if (this.#closed) return;
    const delay = this.#nextRestartDelay(slot);
    this.#restarts += 1;
    const reason = worker.stderrTail.trim().split('\n').at(-1) ?? '';
    this.#logger.warn('WorkerProcess.restart', { worker: slot.index, pid: worker.pid, in_ms: delay, reason: reason.slice(0, 200) });
    this.emit('restart', { index: slot.index, reason });
    this.#restartAfter(slot, delay);
  }

  /** Counts one more failure of the slot's worker and says how long to wait before the next start. */
  #nextRestartDelay(slot: Slot): number {
    slot.crashes += 1;
    // Clamped: a long run of crashes overflows the doubling (0 * Infinity is NaN).
    return clampDelay(Math.min(this.#options.maxRestartDelayMs ?? 5000, (this.#options.restartDelayMs ?? 100) * 2 ** (slot.crashes - 1)));
  }

  #restartAfter(slot: Slot, delay: number): void {
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      this.#spawn(slot).catch((error: unknown) => {
        const retryInMs = this.#closed || slot.worker !== undefined ? undefined : this.#nextRestartDelay(slot);
        this.#logger.error('SandboxError: could not restart a worker', { error, worker: slot.index, retry_in_ms: retryInMs });
        // Setting a worker up failed before it existed (no scratch folder, no process): what failed may
        // pass (a folder put back, a descriptor freed), so try again, backing off as after a crash, rather
        // than leave the slot empty for good. A worker that did start is replaced by #onExit when it dies.
        if (retryInMs !== undefined) this.#restartAfter(slot, retryInMs);
      });
    }, delay);
    slot.restartTimer.unref();
  }
}
