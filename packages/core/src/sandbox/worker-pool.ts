/** A worker pool's health as `/health/worker` and the `worker_*` gauges report it. */
export interface WorkerPoolStatus {
  readonly healthy: boolean;
  readonly alive: number;
  readonly size: number;
  /** Anything else worth showing on `/health/worker` (isolation, restarts). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * What the gateway needs from a worker pool. `SandboxPool` (in `@agent-gateway/sandbox`)
 * implements it; a gateway without one runs tools in-process.
 */
export interface WorkerPool {
  /** Checks every worker (a ping) and reports the pool's state. Must not throw. */
  health(): Promise<WorkerPoolStatus>;
  /** Runs one action on a worker (tools with `run: { sandbox: 'pool', action }`). */
  call?(action: string, params: unknown, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<unknown>;
  /** Stops every worker; the gateway calls it on `close()`. */
  close?(): Promise<void>;
}

/** What the gateway needs from a Docker runner (`DockerRunner` in `@agent-gateway/sandbox`). */
export interface ContainerRunner {
  /** Runs one call in a fresh container and resolves with its result. */
  run(request: { command: readonly string[]; input: unknown; image?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<unknown>;
}

/** The status reported when tools run in-process: nothing to be unhealthy. */
export const IN_PROCESS_STATUS: WorkerPoolStatus = Object.freeze({ healthy: true, alive: 0, size: 0 });
