export { IN_PROCESS_STATUS } from './worker-pool.js';
export type { ContainerRunner, WorkerPool, WorkerPoolStatus } from './worker-pool.js';
export { sandboxFailure } from './sandbox-failure.js';
export {
  BUNDLED_WORKER_PATH,
  detectBwrap,
  DockerRunner,
  type DockerRunnerOptions,
  killProcessGroup,
  SandboxError,
  SandboxPool,
  type IsolationReport,
  type SandboxHealth,
  type SandboxPoolOptions,
} from '@agent-gateway/sandbox';
