import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ReadBuffer, serializeMessage, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/client';

/** Where a process group is a thing: everywhere but Windows. */
const PROCESS_GROUPS = process.platform !== 'win32';

/** What the gateway's own exit must still kill: the groups of every child still running. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // A negative pid signals the whole group: the server and anything it started (npx -> node).
    process.kill(PROCESS_GROUPS ? -pid : pid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Detached children do not get the terminal's SIGHUP: if the gateway exits without closing
  // (an uncaught error, process.exit), they would outlive it. 'exit' handlers run synchronously.
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

export interface ProcessGroupTransportOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The child's whole environment: nothing of the gateway's is added. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** How long `close()` waits after SIGTERM before SIGKILL. */
  readonly killGraceMs?: number;
  /** Each line the child writes to stderr. */
  onStderrLine?(line: string): void;
  /** A line on stdout that is not a JSON-RPC message (a server that logs to stdout). */
  onGarbage?(): void;
}

const MAX_STDERR_LINE = 4096;

/**
 * The MCP stdio transport (newline-delimited JSON-RPC on the child's stdin and stdout), for a child
 * the gateway owns: started in a process group of its own (`detached`), with exactly the
 * environment it is given, and killed as a group, so a server that starts helpers (npx, a shell,
 * a language runtime) leaves none behind. The SDK's StdioClientTransport spawns with the parent's
 * HOME/USER/SHELL added and kills only its direct child; it takes no spawn options to change that.
 *
 * It has `pid` and `stderr`, which is how the SDK's version negotiation knows it is talking over
 * stdio (a silent probe means a 2025-era server, not an outage).
 */
export class ProcessGroupTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  readonly #options: ProcessGroupTransportOptions;
  readonly #buffer = new ReadBuffer();
  #child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  #exited: Promise<void> | undefined;
  #exitedNow: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #stderrTail = '';

  constructor(options: ProcessGroupTransportOptions) {
    this.#options = options;
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Present for the SDK's stdio detection; the lines go to `onStderrLine`. */
  get stderr(): Readable | null {
    return this.#child?.stderr ?? null;
  }

  start(): Promise<void> {
    if (this.#child !== undefined) throw new Error('ProcessGroupTransport already started');
    installExitHook();
    const { command, args, env, cwd } = this.#options;
    return new Promise((resolve, reject) => {
      const child = spawn(command, [...args], {
        env: { ...env },
        ...(cwd === undefined ? {} : { cwd }),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: PROCESS_GROUPS,
        shell: false,
        windowsHide: true,
      });
      this.#child = child;
      this.#exited = new Promise((done) => {
        this.#exitedNow = done;
        child.once('exit', () => {
          // The server is gone; helpers it started may not be, and one holding its stdout open
          // would keep 'close' (and so onclose) from ever coming.
          if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
          done();
        });
      });
      child.once('error', (error) => {
        // A child that never started (ENOENT, EACCES) never exits either.
        if (child.pid === undefined) this.#exitedNow?.();
        reject(error);
        this.onerror?.(error);
      });
      child.once('spawn', () => {
        if (child.pid !== undefined) liveGroups.add(child.pid);
        resolve();
      });
      child.once('close', () => this.#onChildGone(child));
      child.stdin.on('error', (error) => this.onerror?.(error));
      child.stdout.on('error', (error) => this.onerror?.(error));
      child.stdout.on('data', (chunk: Buffer) => this.#onStdout(chunk));
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => this.#onStderr(text));
      child.stderr.on('error', () => undefined);
    });
  }

  #onStdout(chunk: Buffer): void {
    try {
      this.#buffer.append(chunk);
    } catch (error) {
      // A line past the buffer's limit: the stream can no longer be framed, so the child goes.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      void this.close();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#buffer.readMessage();
      } catch {
        // JSON that is not JSON-RPC; plain text lines are skipped inside readMessage.
        this.#options.onGarbage?.();
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  #onStderr(text: string): void {
    const lines = (this.#stderrTail + text).split('\n');
    this.#stderrTail = (lines.pop() ?? '').slice(-MAX_STDERR_LINE);
    for (const line of lines) if (line.trim() !== '') this.#options.onStderrLine?.(line.slice(0, MAX_STDERR_LINE));
  }

  #onChildGone(child: ChildProcessByStdio<Writable, Readable, Readable>): void {
    if (child.pid !== undefined) liveGroups.delete(child.pid);
    if (this.#child === child) this.#child = undefined;
    this.#buffer.clear();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (stdin === undefined || stdin.destroyed) return Promise.reject(new Error('the upstream process is not running'));
    return new Promise((resolve, reject) => {
      stdin.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Closes stdin, then SIGTERM to the group, then SIGKILL after the grace period; resolves when the child exited. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = this.#exited ?? Promise.resolve();
    child.stdin.end();
    killGroup(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#options.killGraceMs ?? 2000);
    });
    if ((await Promise.race([exited.then(() => 'exited' as const), grace])) === 'late') killGroup(child.pid, 'SIGKILL');
    clearTimeout(timer);
    await exited;
  }
}
