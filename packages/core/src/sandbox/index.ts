export { IN_PROCESS_STATUS } from './worker-pool.js';
export type { WorkerPool, WorkerPoolStatus } from './worker-pool.js';
