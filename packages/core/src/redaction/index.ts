export { normalizeOrigin } from './origin.js';
export {
  FileRedactionRuleStore,
  MemoryRedactionRuleStore,
  RedactionRules,
  redactionFieldSchema,
  redactionFieldsSchema,
} from './redaction-rules.js';
export type { RedactionRuleStore } from './redaction-rules.js';
export type { TabSnapshot } from './tab-snapshot.js';
export { isSecretKey } from './secret-keys.js';
export { scrubSecretText } from './secret-text.js';
