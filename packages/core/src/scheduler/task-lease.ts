/**
 * Who runs a task at a due time when several processes hold the same schedule. Before each scheduled
 * run the scheduler asks for the lease on (task, due time); the process that gets it runs the task, the
 * others let that due time pass. A shared lease (Redis `SET NX PX`) expires by itself, so a process that
 * dies holding one blocks nothing: the next due time is taken by a process that is alive.
 */
export interface TaskLease {
  /** `true` when this process is the one to run `task` for `dueAt` (epoch ms); kept for `ttlMs`. */
  acquire(task: string, dueAt: number, ttlMs: number): Promise<boolean>;
}

/** One process: every due time is this process's. */
export const inProcessTaskLease: TaskLease = {
  acquire: async () => true,
};
