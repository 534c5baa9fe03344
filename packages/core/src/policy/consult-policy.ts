import type { Caller } from '../pipeline/caller.js';
import type { ToolCallContext, ToolCallRequest } from '../pipeline/tool-call.js';
import type { RegisteredTool } from '../tools/tool-registry.js';
import type { Policies } from './policies.js';
import type { PolicyDecision, PolicyRequest } from './policy-engine.js';
import { PolicyDeniedError } from './policy-errors.js';
import { policyToolOf } from './policy-tool.js';

/** The question for one call: the caller, the tool, its validated args, where and how it came. */
export function policyRequestOf(tool: RegisteredTool, args: unknown, caller: Caller, request: ToolCallRequest, context: ToolCallContext | undefined): PolicyRequest {
  return {
    caller,
    tool: policyToolOf(tool),
    args,
    ...(request.origin === undefined ? {} : { origin: request.origin }),
    client: typeof context?.via === 'string' ? context.via : caller.kind === 'system' ? caller.id : 'host',
  };
}

function deniedOrDecision(tool: string, decision: PolicyDecision): PolicyDecision {
  if (decision.effect === 'deny') throw new PolicyDeniedError(tool, decision.policies, decision.reason);
  return decision;
}

/**
 * Step: what the policy set says of this call, after validation and before the content filter and the
 * approval gate. A deny stops it (403 `policy_denied`, naming the policies); `undefined` when the gateway
 * has no policy engine (roles, allow-lists and `requiresApproval` decide alone).
 */
export function consultPolicy(
  policies: Policies,
  tool: RegisteredTool,
  args: unknown,
  caller: Caller,
  request: ToolCallRequest,
  context: ToolCallContext | undefined,
): PolicyDecision | Promise<PolicyDecision> | undefined {
  if (!policies.configured) return undefined;
  const decided = policies.decide(policyRequestOf(tool, args, caller, request, context));
  return decided instanceof Promise ? decided.then((decision) => deniedOrDecision(tool.name, decision)) : deniedOrDecision(tool.name, decided);
}

/**
 * How many people must approve the call: the policy's quorum or the tool's own `requiresApproval` (one
 * person), whichever asks more; 0 when it runs at once.
 */
export function approversNeeded(decision: PolicyDecision | undefined, tool: RegisteredTool, args: unknown, caller: Caller): number {
  const byPolicy = decision?.effect === 'approve' ? decision.approvers : 0;
  const byTool = tool.needsApproval(args, caller) ? 1 : 0;
  return Math.max(byPolicy, byTool);
}
