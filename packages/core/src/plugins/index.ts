export { definePlugin } from './plugin.js';
export type { GatewayPlugin } from './plugin.js';
