export { readFileIfExists, SerialQueue, writeFileAtomic } from './atomic-file.js';
export { JsonFileState } from './json-file-state.js';
