/**
 * `@agent-gateway/server` is the `agent-gateway` command (package.json "bin"). This entry runs the
 * same commands from code, for a wrapper script or a test: `await runCli(['users', 'add', 'ci'], io)`.
 *
 * @module @agent-gateway/server
 */
export { runCli, USAGE } from './run-cli.js';
export type { CommandInput, CommandIo } from './command-io.js';
export { SERVE_USAGE } from './serve/index.js';
export { USERS_USAGE } from './users/index.js';
