export { Policies } from './policies.js';
export type { PoliciesContext } from './policies.js';
export type { PolicyDecision, PolicyEngine, PolicyEngineContext, PolicyRequest, PolicySetInfo, PolicyTool } from './policy-engine.js';
export { InvalidPolicyError, PolicyDeniedError, PolicyUnavailableError } from './policy-errors.js';
export { policyToolOf } from './policy-tool.js';
export { checkPolicy } from './policy-check.js';
export type { PolicyCheckAnswer, PolicyCheckInput } from './policy-check.js';
