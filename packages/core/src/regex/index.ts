export { timeLimitedTest } from './time-limited-regex.js';
