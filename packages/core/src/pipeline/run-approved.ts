import type { Approval } from '../approvals/approval.js';
import { failureOf } from '../errors/index.js';
import { authorizeTool } from './authorize-tool.js';
import { execute } from './execute.js';
import { findTool } from './find-tool.js';
import { policiesAudited } from '../policy/policy-audit.js';
import { linksTo, traceToolCall } from '../tracing/index.js';
import { auditCall, killSwitchErrorFor, originRedacted, type PipelineDeps } from './pipeline-deps.js';

/**
 * Runs a call a person approved, as its original caller: that caller is looked up again, so a
 * user deleted (or re-created as someone else) or stripped of the tool since asking does not get
 * it run. Audited like any call.
 */
export function runApproved(deps: PipelineDeps, approval: Approval): Promise<unknown> {
  // Its own `execute_tool` span, in the decision's trace, linked to the span of the request that asked.
  return traceToolCall(
    {
      tool: approval.tool,
      callId: approval.callId,
      context: approval.context,
      tracing: deps.tracing,
      approvalId: approval.id,
      shownArgs: () => originRedacted(deps.redaction, approval.args, approval.origin),
      ...(approval.context?.trace === undefined ? {} : { links: linksTo(approval.context.trace, approval.id) }),
    },
    () => runApprovedCall(deps, approval),
  );
}

async function runApprovedCall(deps: PipelineDeps, approval: Approval): Promise<unknown> {
  const started = performance.now();
  const request = { tool: approval.tool, args: approval.args, ...(approval.origin === undefined ? {} : { origin: approval.origin }) };
  const approvedBy = approval.decision?.by;
  const decided = { approval_id: approval.id, ...(approvedBy === undefined ? {} : { approved_by: approvedBy }), ...policiesAudited(approval.policies) };
  let caller = approval.caller;
  try {
    if (caller.kind === 'user') {
      const current = await deps.auth.currentCaller(caller);
      caller = { ...current, ...(approval.caller.tokenId === undefined ? {} : { tokenId: approval.caller.tokenId }) };
    }
    // The switch may have been thrown while the call waited for its approval.
    deps.killSwitch.assertCurrent();
    if (deps.killSwitch.enabled) throw killSwitchErrorFor(deps.killSwitch, caller);
    const tool = findTool(deps.tools, approval.tool);
    authorizeTool(caller, tool);
    const result = await execute(tool, approval.args, { callId: approval.callId, caller, signals: () => [deps.closing] }, deps.execution, deps.logger);
    await auditCall(deps, approval.callId, request, caller, started, { outcome: 'ok', status: 200, ...decided }, approval.context);
    return result;
  } catch (error) {
    const { code, status } = failureOf(error);
    await auditCall(deps, approval.callId, request, caller, started, { outcome: 'failed', status, code, ...decided }, approval.context).catch((auditError: unknown) =>
      deps.logger.error('could not audit a failed approved call', { error: auditError }),
    );
    throw error;
  }
}
