/**
 * `@agent-gateway/sandbox`: persistent sandboxed worker processes (`SandboxPool`), the line-based
 * worker protocol any language can speak, the bundled worker, and one-off Docker containers
 * (`DockerRunner`). It does not depend on core.
 *
 * @module @agent-gateway/sandbox
 */
export { MAX_WORKER_REQUEST_BYTES, MAX_WORKER_RESPONSE_BYTES, parseWorkerResponse } from './protocol.js';
export type { WorkerRequest, WorkerResponse, WorkerTrace } from './protocol.js';
export { SandboxError } from './sandbox-error.js';
export type { SandboxErrorCode } from './sandbox-error.js';
export { SandboxPool, BUNDLED_WORKER_PATH } from './sandbox-pool.js';
export type { CallOptions, SandboxHealth, SandboxLogger, SandboxPoolOptions } from './sandbox-pool.js';
export { WorkerProcess } from './worker-process.js';
export type { WorkerProcessOptions, WorkerRequestTrace } from './worker-process.js';
export { detectBwrap, detectParentDeathSignal, scrubbedEnvironment, workerCommand } from './isolation.js';
export { killProcessGroup } from './process-group.js';
export type { IsolationMode, IsolationReport, WorkerCommandOptions } from './isolation.js';
export { LineSplitter } from './line-splitter.js';
export { DockerRunner } from './docker-runner.js';
export type { DockerRunnerOptions, DockerRunRequest } from './docker-runner.js';
export type { DockerClient, DockerContainer, DockerContainerSpec } from './docker-client.js';
export { DockerFrameReader, dockerFrame } from './docker-frames.js';
