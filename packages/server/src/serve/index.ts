export { SERVE_USAGE, serveCommand } from './serve-command.js';
