export { createJsonLogger, scrubbingLogger, silentLogger } from './logger.js';
export type { LogFields, Logger } from './logger.js';
