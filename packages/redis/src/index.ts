export { RedisState, stateUnavailable } from './redis-state.js';
export type { RedisStateOptions } from './redis-state.js';
