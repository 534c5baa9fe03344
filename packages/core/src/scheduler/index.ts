export { Scheduler } from './scheduler.js';
export type { SchedulerOptions, TaskRun, TaskView } from './scheduler.js';
export { MAX_INTERVAL_MS, MIN_INTERVAL_MS, nextRun, parseSchedule, taskInputSchema } from './schedule.js';
export type { Schedule, TaskDefinition, TaskInput } from './schedule.js';
export { InvalidTaskError } from './task-errors.js';
export { inProcessTaskLease } from './task-lease.js';
export type { TaskLease } from './task-lease.js';
