import { ERROR_STATUS, FINAL_STATES, type Approval, type AuditActor, type Caller, type GatewayServices, type ToolCallPending } from '@agent-gateway/core';
import type { CallToolResult, ProgressToken } from '@modelcontextprotocol/server';
import { successResult, toolErrorResult } from './call-result.js';
import { endApprovalWait, startApprovalWait } from './mcp-trace.js';
import { META } from './tool-list.js';

/** What holding one call open needs. */
export interface Hold {
  readonly services: GatewayServices;
  readonly caller: Caller;
  /** Aborts when the client cancels or goes away, or the endpoint closes. */
  readonly signal: AbortSignal;
  /** Aborted when the endpoint closes: then the gateway, not the caller, gave up waiting. */
  readonly closing: AbortSignal;
  readonly waitMs: number;
  readonly progressIntervalMs: number;
  /** The client's progress token; without one the call is held silently. */
  readonly progressToken: ProgressToken | undefined;
  readonly sendProgress: (params: { progressToken: ProgressToken; progress: number; message: string }) => Promise<void>;
  /** Whether a result also goes out as `structuredContent`. */
  readonly structured: boolean;
}

function actorOf(caller: Caller): AuditActor {
  if (caller.kind === 'user') {
    return { type: 'user', user: caller.id, ...(caller.role === undefined ? {} : { role: caller.role }), ...(caller.tokenId === undefined ? {} : { jti: caller.tokenId }) };
  }
  return caller.kind === 'system' ? { type: 'system', name: caller.id } : { type: 'anonymous' };
}

/** Waits for a decision until `waitMs` ends or the client leaves, telling a client that asked for progress that it is still held. */
async function waitForDecision(hold: Hold, pending: ToolCallPending): Promise<Approval> {
  const { services, signal, progressToken } = hold;
  const deadline = Date.now() + hold.waitMs;
  const message = `waiting for a person to approve ${pending.tool} (approval ${pending.approvalId})`;
  for (let step = 0; ; step += 1) {
    if (progressToken !== undefined) await hold.sendProgress({ progressToken, progress: step, message }).catch(() => undefined);
    const remaining = Math.max(0, deadline - Date.now());
    const slice = progressToken === undefined ? remaining : Math.min(remaining, hold.progressIntervalMs);
    const approval = await services.approvals.wait(pending.approvalId, slice, signal);
    if (FINAL_STATES.has(approval.state) || signal.aborted || slice >= remaining) return approval;
  }
}

/** The decision, or its absence, as the tool result the client gets. */
function resultOf(hold: Hold, pending: ToolCallPending, approval: Approval): CallToolResult {
  const view = hold.services.approvalView(approval);
  const ids = { [META.approvalId]: approval.id, [META.callId]: pending.callId };
  const details = { approval_id: approval.id, state: approval.state };
  switch (approval.state) {
    case 'executed':
      return successResult(approval.result, pending.callId, hold.structured, approval.id);
    case 'rejected': {
      const reason = view.reason === undefined ? '' : `: ${view.reason}`;
      const message = `rejected by ${view.decided_by ?? 'an approver'}${reason} (approval ${approval.id}); the call did not run`;
      return toolErrorResult({ code: 'approval_rejected', status: ERROR_STATUS.approval_rejected, message, details: { ...details, decided_by: view.decided_by } }, ids);
    }
    case 'expired':
      return toolErrorResult({ code: 'approval_expired', status: ERROR_STATUS.approval_expired, message: `nobody decided approval ${approval.id} in time; the call did not run`, details }, ids);
    case 'failed': {
      const error = view.error ?? { code: 'tool_failed', message: 'the approved call failed' };
      return toolErrorResult({ code: error.code, status: approval.error?.status ?? ERROR_STATUS.tool_failed, message: `approved, but the call failed: ${error.message}`, details }, ids);
    }
    default: {
      const message =
        `the call is waiting for a person's approval (approval ${approval.id}, until ${approval.expiresAt}); it runs once approved. ` +
        `Learn the outcome with GET /approvals/${approval.id} using the same token. Do not call the tool again: that asks for a second approval.`;
      return toolErrorResult({ code: 'approval_pending', status: 202, message, details: { ...details, expires_at: approval.expiresAt } }, ids);
    }
  }
}

/**
 * A call that needs approval is never run without a person's decision; the client's request is held
 * open for it (with progress when asked). If the client cancels or leaves, the approval stays
 * pending (the decision is the person's, and an approved call still runs) and the audit log records
 * that its caller abandoned it.
 */
export async function holdForApproval(hold: Hold, pending: ToolCallPending): Promise<CallToolResult> {
  const span = startApprovalWait(pending.approvalId);
  let approval: Approval;
  try {
    approval = await waitForDecision(hold, pending);
  } catch (error) {
    endApprovalWait(span, 'error', false);
    throw error;
  }
  endApprovalWait(span, approval.state, approval.state !== 'pending');
  if (hold.signal.aborted && approval.state === 'pending') {
    await hold.services.audit?.append('approval_abandoned', actorOf(hold.caller), {
      approval_id: approval.id,
      call_id: pending.callId,
      tool: pending.tool,
      via: 'mcp',
      reason: hold.closing.aborted ? 'gateway_closed' : 'caller_left',
    });
  }
  return resultOf(hold, pending, approval);
}
