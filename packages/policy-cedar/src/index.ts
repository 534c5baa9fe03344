// Cedar policies for the gateway: who may call which tool, with which args, when; allow, deny or approval by N people.
export { CedarPolicyEngine, cedarPolicies } from './cedar-engine.js';
export type { CedarPoliciesOptions } from './cedar-engine.js';
export { CEDAR_SCHEMA_TEXT, cedarSchemaOf } from './cedar-schema.js';
