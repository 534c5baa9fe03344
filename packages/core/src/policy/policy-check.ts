import { auditActorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Role } from '../auth/roles.js';
import { ToolNotFoundError } from '../errors/index.js';
import type { Caller } from '../pipeline/caller.js';
import { validateArgs } from '../pipeline/validate-args.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { Policies } from './policies.js';
import type { PolicyDecision } from './policy-engine.js';
import { policyToolOf } from './policy-tool.js';

/** A call to try against the policy set: who would call, which tool, with which args, how and when. */
export interface PolicyCheckInput {
  readonly caller: { readonly id: string; readonly role?: Role; readonly kind?: Caller['kind'] };
  readonly tool: string;
  readonly args: unknown;
  readonly origin?: string;
  /** `http`, `mcp`, ... Default `http`. */
  readonly client?: string;
  /** ISO 8601; default now. */
  readonly time?: string;
}

/** What the policy set would decide, with the tool's own `requiresApproval` folded in as the pipeline does. */
export interface PolicyCheckAnswer {
  readonly decision: PolicyDecision['effect'];
  readonly policies: readonly string[];
  /** For `approve`: how many distinct people would have to approve. */
  readonly approvers?: number;
  /** For `deny`: why. */
  readonly reason?: string;
}

/**
 * A dry run of the policy set (`POST /admin/policies/check`): validates the args as a call would, asks
 * the engine, runs nothing. Audited (`policy_checked`) with the decision, as a call's entry would be.
 */
export async function checkPolicy(
  deps: { readonly tools: ToolRegistry; readonly policies: Policies; readonly audit: AuditLog | undefined },
  by: Caller,
  input: PolicyCheckInput,
): Promise<PolicyCheckAnswer> {
  const tool = deps.tools.get(input.tool);
  if (tool === undefined) throw new ToolNotFoundError(input.tool);
  const args = await validateArgs(tool, input.args);
  const kind = input.caller.kind ?? 'user';
  const caller: Caller = { kind, id: input.caller.id, ...(input.caller.role === undefined ? {} : { role: input.caller.role }) };
  const decision = await deps.policies.decide({
    caller,
    tool: policyToolOf(tool),
    args,
    ...(input.origin === undefined ? {} : { origin: input.origin }),
    client: input.client ?? 'http',
    ...(input.time === undefined ? {} : { time: new Date(input.time) }),
  });
  const byTool = decision.effect === 'deny' ? 0 : tool.needsApproval(args, caller) ? 1 : 0;
  const approvers = Math.max(decision.effect === 'approve' ? decision.approvers : 0, byTool);
  const answer: PolicyCheckAnswer =
    decision.effect === 'deny'
      ? { decision: 'deny', policies: decision.policies, reason: decision.reason }
      : approvers > 0
        ? { decision: 'approve', policies: decision.policies, approvers }
        : { decision: 'allow', policies: decision.policies };
  await deps.audit?.append('policy_checked', auditActorOf(by), {
    caller: { id: caller.id, kind, ...(caller.role === undefined ? {} : { role: caller.role }) },
    decision: answer.decision,
    policies: answer.policies,
    tool: tool.name,
  });
  return answer;
}
