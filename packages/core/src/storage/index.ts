export { readFileIfExists, SerialQueue, writeFileAtomic } from './atomic-file.js';
