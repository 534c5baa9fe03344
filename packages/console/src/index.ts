/**
 * `@agent-gateway/console`: the approval console, a web page the gateway serves at `/console/`
 * through its plugin mechanism, where approvers and admins decide held calls live, read the audit
 * trail, and pull the kill switch.
 *
 * @module @agent-gateway/console
 */
export { consolePlugin } from './console-plugin.js';
export type { ConsolePluginOptions } from './console-plugin.js';
export { CONSOLE_CSP } from './security-headers.js';
