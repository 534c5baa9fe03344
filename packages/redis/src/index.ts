export { RedisState, stateUnavailable } from './redis-state.js';
export type { RedisStateOptions } from './redis-state.js';
export { LuaScript } from './lua-script.js';
export { RedisRevocationStore } from './redis-revocation-store.js';
