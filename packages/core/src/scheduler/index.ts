export { Scheduler } from './scheduler.js';
export type { SchedulerOptions, TaskRun, TaskView } from './scheduler.js';
export { nextRun, parseSchedule, taskInputSchema } from './schedule.js';
export type { Schedule, TaskDefinition, TaskInput } from './schedule.js';
