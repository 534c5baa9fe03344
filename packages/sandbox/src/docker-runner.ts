import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import type { DockerClient, DockerContainer, DockerContainerSpec } from './docker-client.js';
import { DockerFrameReader } from './docker-frames.js';
import type { Span } from '@opentelemetry/api';
import { MAX_WORKER_REQUEST_BYTES, MAX_WORKER_RESPONSE_BYTES, parseWorkerResponse, type WorkerTrace } from './protocol.js';
import { childSpan, endSpan, noteWorkerTrace, workerTraceOf } from './tracing.js';
import { SandboxError } from './sandbox-error.js';
import { checkDelayOption, clampDelay } from './timer-delay.js';
import type { SandboxLogger } from './sandbox-pool.js';

/** Options of `new DockerRunner(options)`: the image, the Docker client, and each container's limits. */
export interface DockerRunnerOptions {
  /** SANDBOX_DOCKER_IMAGE. Default `python:3.11-slim`. */
  readonly image?: string;
  /** A dockerode client; default: one made from DOCKER_HOST or /var/run/docker.sock (dockerode is loaded only then). */
  readonly docker?: DockerClient;
  /** Default 256 MiB (swap included: no swap). */
  readonly memoryBytes?: number;
  /** Default 1 CPU. */
  readonly cpus?: number;
  /** Default 64. */
  readonly pidsLimit?: number;
  /** Wall clock per run; the container is killed at it. Default 10 s; 1..2^31-1 ms, else a RangeError. */
  readonly timeoutMs?: number;
  /** stdout + stderr bytes kept; more kills the container. Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /** Default `65534:65534` (nobody). */
  readonly user?: string;
  /** Size of the writable /scratch tmpfs. Default `64m`. */
  readonly scratchSize?: string;
  readonly logger?: SandboxLogger;
}

/** One call to run in a fresh container: its command, its input and, optionally, another image or timeout. */
export interface DockerRunRequest {
  /** The container's command; it reads one protocol request line on stdin and answers on stdout. */
  readonly command: readonly string[];
  /** Sent as the request's `params`. */
  readonly input: unknown;
  readonly image?: string;
  /** This run's timeout instead of the runner's; above 2^31-1 ms it is that (a timer's longest wait). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

async function defaultClient(): Promise<DockerClient> {
  let module: { default: typeof Docker };
  try {
    module = (await import('dockerode')) as { default: typeof Docker };
  } catch (error) {
    throw new SandboxError('sandbox_unavailable', 'dockerode is not installed (npm install dockerode)', { cause: error });
  }
  // dockerode reads DOCKER_HOST itself; without it, the default socket.
  return process.env.DOCKER_HOST === undefined ? new module.default({ socketPath: '/var/run/docker.sock' }) : new module.default();
}

/**
 * Runs one call in a fresh, locked-down container: no network, read-only root, every capability
 * dropped, no new privileges, memory/CPU/pid limits, a tmpfs scratch, a non-root user, removed when
 * it exits. The request goes in on stdin, the answer comes back on stdout (the worker protocol).
 */
export class DockerRunner {
  readonly #options: DockerRunnerOptions;
  #client: Promise<DockerClient> | undefined;

  constructor(options: DockerRunnerOptions = {}) {
    checkDelayOption('timeoutMs', options.timeoutMs, 1);
    this.#options = options;
    if (options.docker !== undefined) this.#client = Promise.resolve(options.docker);
  }

  /**
   * The container spec, hardening included (exported for inspection and tests). A call in a trace
   * also gets it as `TRACEPARENT`/`TRACESTATE`, the OpenTelemetry convention for a process's environment.
   */
  containerSpec(image: string, command: readonly string[], trace?: WorkerTrace): DockerContainerSpec {
    const memory = this.#options.memoryBytes ?? 256 * 1024 * 1024;
    return {
      Image: image,
      Cmd: [...command],
      User: this.#options.user ?? '65534:65534',
      WorkingDir: '/scratch',
      Env: ['HOME=/scratch', 'LANG=C.UTF-8', ...traceEnvironment(trace)],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: true,
      Labels: { 'io.agent-gateway.sandbox': 'true' },
      HostConfig: {
        NetworkMode: 'none',
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        Memory: memory,
        MemorySwap: memory,
        NanoCpus: Math.round((this.#options.cpus ?? 1) * 1e9),
        PidsLimit: this.#options.pidsLimit ?? 64,
        Tmpfs: { '/scratch': `rw,noexec,nosuid,nodev,size=${this.#options.scratchSize ?? '64m'}` },
        AutoRemove: true,
      },
    };
  }

  /**
   * Runs one call in a fresh, locked-down container, removed afterwards, and resolves with the result its
   * command answered.
   */
  async run(request: DockerRunRequest): Promise<unknown> {
    const span = childSpan('sandbox docker run', { 'agent_gateway.sandbox.mode': 'docker', 'container.image.name': request.image ?? this.#options.image ?? 'python:3.11-slim' });
    try {
      const result = await this.#run(request, span);
      endSpan(span);
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  async #run(request: DockerRunRequest, span: Span | undefined): Promise<unknown> {
    const id = randomUUID();
    const trace = workerTraceOf(span);
    const line = `${JSON.stringify(trace === undefined ? { id, action: 'run', params: request.input } : { id, action: 'run', params: request.input, trace })}\n`;
    if (Buffer.byteLength(line) > MAX_WORKER_REQUEST_BYTES) throw new SandboxError('sandbox_request_too_large', `request over ${MAX_WORKER_REQUEST_BYTES} bytes`);
    // Asked afresh each time (a signal aborts at any await), and checked because an abort that came first fires no event.
    const callerGone = (): boolean => request.signal?.aborted === true;
    if (callerGone()) throw new SandboxError('sandbox_closed', 'the caller went away before the container started');
    this.#client ??= defaultClient();
    const docker = await this.#client;
    const image = request.image ?? this.#options.image ?? 'python:3.11-slim';
    let container: DockerContainer;
    try {
      container = await docker.createContainer(this.containerSpec(image, request.command, trace));
    } catch (error) {
      throw new SandboxError('sandbox_unavailable', `docker could not create a container: ${describe(error)}`, { cause: error });
    }
    let started = false;
    try {
      const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
      const output = this.#collect(stream, container);
      // Asked before start, as `docker run --rm` does: with AutoRemove the container may be gone by
      // the time a later wait would ask for it.
      const exited = container.wait({ condition: 'next-exit' }) as Promise<{ StatusCode: number }>;
      exited.catch(() => undefined);
      await container.start();
      started = true;
      stream.end(line);
      const exit = await this.#waitOrKill(container, exited, request);
      const { stdout, overflow } = await output;
      if (overflow) throw new SandboxError('sandbox_output_too_large', `the container wrote more than ${this.#maxOutput()} bytes`);
      const response = stdout
        .split('\n')
        .map((candidate) => parseWorkerResponse(candidate))
        .find((candidate) => candidate?.id === id);
      if (response === undefined) {
        if (callerGone()) throw new SandboxError('sandbox_closed', 'the caller went away; the container was stopped');
        throw new SandboxError('sandbox_crashed', `the container exited (code ${exit}) without an answer`);
      }
      noteWorkerTrace(span, response.trace);
      if ('error' in response) throw new SandboxError('worker_error', response.error.message, { workerCode: response.error.code });
      return response.result;
    } catch (error) {
      if (!started) await container.remove({ force: true }).catch(() => undefined);
      if (error instanceof SandboxError) throw error;
      throw new SandboxError('sandbox_unavailable', `docker run failed: ${describe(error)}`, { cause: error });
    }
  }

  #maxOutput(): number {
    return this.#options.maxOutputBytes ?? MAX_WORKER_RESPONSE_BYTES;
  }

  /** Reads the attach stream until it ends, keeping at most the output cap (past it: kill). */
  #collect(stream: Duplex, container: DockerContainer): Promise<{ stdout: string; overflow: boolean }> {
    const reader = new DockerFrameReader();
    const chunks: Buffer[] = [];
    let total = 0;
    let overflow = false;
    return new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        for (const frame of reader.push(chunk)) {
          total += frame.payload.length;
          if (total > this.#maxOutput()) {
            if (!overflow) {
              overflow = true;
              void container.kill().catch(() => undefined);
            }
            continue;
          }
          if (frame.stream === 'stdout') chunks.push(frame.payload);
        }
      });
      const done = (): void => resolve({ stdout: Buffer.concat(chunks).toString('utf8'), overflow });
      stream.once('end', done);
      stream.once('close', done);
      stream.once('error', done);
    });
  }

  /** The exit code, or a timeout after which the container is killed. */
  async #waitOrKill(container: DockerContainer, exited: Promise<{ StatusCode: number }>, request: DockerRunRequest): Promise<number> {
    const timeoutMs = clampDelay(request.timeoutMs ?? this.#options.timeoutMs ?? 10_000);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => void container.kill().catch(() => undefined);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    // Aborted while the container was being created, attached or started: that abort's event has fired already.
    if (request.signal?.aborted === true) onAbort();
    try {
      const outcome = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        }),
      ]);
      if (outcome === 'timeout') {
        this.#options.logger?.error('SandboxError: container timed out; killing it', { timeout_ms: timeoutMs });
        await container.kill().catch(() => undefined);
        throw new SandboxError('sandbox_timeout', `the container did not finish within ${timeoutMs} ms`);
      }
      return outcome.StatusCode;
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function traceEnvironment(trace: WorkerTrace | undefined): string[] {
  if (trace === undefined) return [];
  return trace.tracestate === undefined ? [`TRACEPARENT=${trace.traceparent}`] : [`TRACEPARENT=${trace.traceparent}`, `TRACESTATE=${trace.tracestate}`];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
