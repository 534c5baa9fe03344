import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { LineSplitter } from './line-splitter.js';
import { killProcessGroup, trackProcessGroup, untrackProcessGroup } from './process-group.js';
import { MAX_WORKER_REQUEST_BYTES, MAX_WORKER_RESPONSE_BYTES, parseWorkerResponse, type WorkerTrace } from './protocol.js';
import { SandboxError } from './sandbox-error.js';
import { checkDelayOption, clampDelay } from './timer-delay.js';

/** How to start one worker process: its command, arguments, environment and working folder. */
export interface WorkerProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Between SIGTERM and SIGKILL (to the whole process group) when stopping. Default 500 ms; 0..2^31-1, else a RangeError. */
  readonly killGraceMs?: number;
  readonly maxResponseBytes?: number;
}

/** A request's trace context (sent as its `trace`), and who hears what the worker continued it as. */
export interface WorkerRequestTrace {
  /** Sent as the request's `trace`. */
  readonly context: WorkerTrace;
  /** Hears the answer's `trace` (undefined when the worker did not continue the trace), before the result. */
  readonly answered?: (echoed: WorkerTrace | undefined) => void;
}

interface InFlight {
  readonly id: string;
  readonly answered?: (echoed: WorkerTrace | undefined) => void;
  resolve(result: unknown): void;
  reject(error: SandboxError): void;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * One worker process speaking the line protocol, one request at a time. Anything it prints that is
 * not the answer to the request in flight, a line past the size limit, or no answer within the
 * request's timeout means it is broken: it is killed and the request fails. A request stays in flight
 * until its answer or the worker's death, never less. The worker leads its own process group and is
 * always killed as a group, so whatever it started dies with it. `exited` settles when it is gone.
 */
export class WorkerProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #killGraceMs: number;
  #inFlight: InFlight | undefined;
  #dead: SandboxError | undefined;
  #stderrTail = '';

  constructor(options: WorkerProcessOptions) {
    // Before spawning: a bad grace must not leave a process behind.
    checkDelayOption('killGraceMs', options.killGraceMs);
    this.#killGraceMs = options.killGraceMs ?? 500;
    this.#child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group (and session, so no controlling terminal): see process-group.ts. On
      // Windows `detached` means a console of its own instead, and killProcessGroup kills the process.
      detached: process.platform !== 'win32',
    });
    trackProcessGroup(this.#child.pid);
    const splitter = new LineSplitter(options.maxResponseBytes ?? MAX_WORKER_RESPONSE_BYTES);
    this.#child.stdout?.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch {
        this.#fail(new SandboxError('sandbox_output_too_large', `worker printed a line over ${options.maxResponseBytes ?? MAX_WORKER_RESPONSE_BYTES} bytes`));
        return;
      }
      for (const line of lines) this.#onLine(line);
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    this.#child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        // The leader is gone; whatever it started may not be. Done at once, before its pid can be reused.
        killProcessGroup(this.#child.pid, 'SIGKILL');
        untrackProcessGroup(this.#child.pid);
        this.#fail(new SandboxError('sandbox_crashed', `worker exited (${signal ?? `code ${code}`}) ${this.#stderrHint()}`.trim()));
        resolve({ code, signal });
      });
      this.#child.once('error', (error) => {
        untrackProcessGroup(this.#child.pid);
        this.#fail(new SandboxError('sandbox_unavailable', `worker could not start: ${error.message}`, { cause: error }));
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** The last lines the worker wrote to stderr, for logs. */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Whether a request is in flight (sent, neither answered nor failed by the worker's death). */
  get busy(): boolean {
    return this.#inFlight !== undefined;
  }

  /**
   * Sends one request; resolves with `result`, rejects with a SandboxError. One at a time. Past
   * `timeoutMs` the worker counts as hung: it is killed and the request fails with `sandbox_timeout`.
   * A timeout above 2^31-1 ms is that long (Node would fire a longer one after 1 ms).
   */
  request(action: string, params: unknown, timeoutMs?: number, trace?: WorkerRequestTrace): Promise<unknown> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    if (this.#inFlight !== undefined) return Promise.reject(new Error('WorkerProcess takes one request at a time'));
    const id = randomUUID();
    let line: string;
    try {
      line = `${JSON.stringify(trace === undefined ? { id, action, params } : { id, action, params, trace: trace.context })}\n`;
    } catch (error) {
      return Promise.reject(new SandboxError('sandbox_request_too_large', 'params cannot be serialised as JSON', { cause: error }));
    }
    if (Buffer.byteLength(line) > MAX_WORKER_REQUEST_BYTES) {
      return Promise.reject(new SandboxError('sandbox_request_too_large', `request over ${MAX_WORKER_REQUEST_BYTES} bytes`));
    }
    const delay = timeoutMs === undefined ? undefined : clampDelay(timeoutMs);
    return new Promise((resolve, reject) => {
      const timer =
        delay === undefined ? undefined : setTimeout(() => this.#fail(new SandboxError('sandbox_timeout', `worker did not answer within ${delay} ms`)), delay);
      const settle = (): void => clearTimeout(timer);
      this.#inFlight = {
        id,
        ...(trace?.answered === undefined ? {} : { answered: trace.answered }),
        resolve: (result) => {
          settle();
          resolve(result);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#child.stdin?.write(line);
    });
  }

  /** Stops the worker's group: SIGTERM, then SIGKILL after the grace period. Resolves when it is gone. */
  async stop(): Promise<void> {
    this.#fail(new SandboxError('sandbox_closed', 'worker stopped'));
    if (this.#running()) {
      killProcessGroup(this.#child.pid, 'SIGTERM');
      const timer = setTimeout(() => killProcessGroup(this.#child.pid, 'SIGKILL'), this.#killGraceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Kills the group at once (a hung worker gets no grace). Resolves when it is gone. */
  async kill(): Promise<void> {
    this.#fail(new SandboxError('sandbox_closed', 'worker killed'));
    if (this.#running()) killProcessGroup(this.#child.pid, 'SIGKILL');
    await this.exited;
  }

  #running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  #onLine(line: string): void {
    const response = parseWorkerResponse(line);
    const inFlight = this.#inFlight;
    if (response === undefined || inFlight === undefined || response.id !== inFlight.id) {
      this.#fail(new SandboxError('sandbox_protocol_error', 'worker printed something that is not an answer to the request in flight'));
      return;
    }
    this.#inFlight = undefined;
    inFlight.answered?.(response.trace);
    if ('result' in response) inFlight.resolve(response.result);
    else inFlight.reject(new SandboxError('worker_error', response.error.message, { workerCode: response.error.code }));
  }

  /** Marks the worker dead (once), fails the request in flight, and makes sure the process goes. */
  #fail(error: SandboxError): void {
    if (this.#dead === undefined) {
      this.#dead = error;
      if (this.#running() && error.code !== 'sandbox_closed') killProcessGroup(this.#child.pid, 'SIGKILL');
    }
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    inFlight?.reject(error);
  }

  #stderrHint(): string {
    const last = this.#stderrTail.trim().split('\n').at(-1);
    return last === undefined || last === '' ? '' : `; last stderr line: ${last.slice(0, 200)}`;
  }
}
