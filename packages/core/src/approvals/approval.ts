import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Caller } from '../pipeline/caller.js';
import type { ToolCallContext } from '../pipeline/tool-call.js';
import { scrubSecretText } from '../redaction/secret-text.js';

/**
 * pending -> approved -> executed | failed; pending -> rejected; pending -> expired.
 * `approved` is the short moment the approved call is running.
 */
export type ApprovalState = 'pending' | 'approved' | 'executed' | 'failed' | 'rejected' | 'expired';

/** The states an approval never leaves. */
export const FINAL_STATES: ReadonlySet<ApprovalState> = new Set(['executed', 'failed', 'rejected', 'expired']);

/** Who decided, and why. */
export interface ApprovalDecision {
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

/** One held tool call, as the store keeps it. `args` are the validated args that will run. */
export interface Approval {
  readonly id: string;
  readonly callId: string;
  readonly tool: string;
  readonly args: unknown;
  /** SHA-256 of the canonical `{tool, args}`: checked again before the call runs. */
  readonly digest: string;
  readonly caller: Caller;
  /** The origin the args came from; its redaction rules apply to every view of them. */
  readonly origin?: string;
  /** How the call came in (`via`, the MCP client), for the approved run's audit entry. */
  readonly context?: ToolCallContext;
  readonly state: ApprovalState;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decision?: ApprovalDecision;
  /** How many distinct people must approve (a policy's quorum); absent means one. */
  readonly required?: number;
  /** A quorum's approvals so far, in order; the one that completed it is also `decision`. */
  readonly approvals?: readonly ApprovalDecision[];
  /** The ids of the policies that held the call, for the approved run's audit entry. */
  readonly policies?: readonly string[];
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string; readonly status: number };
}

export function digestOf(tool: string, args: unknown): string {
  return createHash('sha256').update(canonicalJson({ tool, args })).digest('hex');
}

/** What anyone may see: no args, no result, no caller details. */
export interface ApprovalSummary {
  readonly id: string;
  readonly tool: string;
  readonly state: ApprovalState;
  readonly created_at: string;
  readonly expires_at: string;
}

/** What approvers and the requesting caller see. Args pass through the redactor first. */
export interface ApprovalView extends ApprovalSummary {
  readonly call_id: string;
  readonly args: unknown;
  readonly args_digest: string;
  readonly requested_by: { readonly user: string; readonly role?: string };
  /** The origin the caller said the args came from (a page, a ticket), whose redaction rules applied. */
  readonly origin?: string;
  readonly decided_by?: string;
  readonly decided_at?: string;
  readonly reason?: string;
  /** A quorum's approvals so far (who, when, why), shown while it is pending too. */
  readonly approvals?: readonly { readonly by: string; readonly at: string; readonly reason?: string }[];
  /** How many distinct approvers the call needs, when a policy asked for more than one. */
  readonly required?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export function summaryOf(approval: Approval): ApprovalSummary {
  return {
    id: approval.id,
    tool: approval.tool,
    state: approval.state,
    created_at: approval.createdAt,
    expires_at: approval.expiresAt,
  };
}

/**
 * The view of `approval`, its args passed through `redact`. The decision's reason and the error
 * message are people's and tools' free text, shown to everyone who sees the view: scrubbed here.
 */
export function viewOf(approval: Approval, redact: (args: unknown) => unknown): ApprovalView {
  return {
    ...summaryOf(approval),
    call_id: approval.callId,
    args: redact(approval.args),
    args_digest: approval.digest,
    requested_by: { user: approval.caller.id, ...(approval.caller.role === undefined ? {} : { role: approval.caller.role }) },
    ...(approval.origin === undefined ? {} : { origin: scrubSecretText(approval.origin) }),
    ...(approval.decision === undefined
      ? {}
      : {
          decided_by: approval.decision.by,
          decided_at: approval.decision.at,
          ...(approval.decision.reason === undefined ? {} : { reason: scrubSecretText(approval.decision.reason) }),
        }),
    ...(approval.required === undefined
      ? {}
      : {
          approvals: (approval.approvals ?? []).map((vote) => ({ by: vote.by, at: vote.at, ...(vote.reason === undefined ? {} : { reason: scrubSecretText(vote.reason) }) })),
          required: approval.required,
        }),
    ...(approval.state === 'executed' ? { result: approval.result } : {}),
    ...(approval.error === undefined ? {} : { error: { code: approval.error.code, message: scrubSecretText(approval.error.message) } }),
  };
}
