// The shapes of the gateway's answers the console reads (see docs/http-api.md).

export type ApprovalState = 'pending' | 'approved' | 'executed' | 'failed' | 'rejected' | 'expired';

export interface ApprovalView {
  readonly id: string;
  readonly tool: string;
  readonly state: ApprovalState;
  readonly created_at: string;
  readonly expires_at: string;
  readonly call_id: string;
  readonly args: unknown;
  readonly origin?: string;
  readonly requested_by: { readonly user: string; readonly role?: string };
  readonly decided_by?: string;
  readonly decided_at?: string;
  readonly reason?: string;
  /** A quorum's approvals so far, when a policy asked for more than one person. */
  readonly approvals?: readonly { readonly by: string; readonly at: string; readonly reason?: string }[];
  readonly required?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly event: string;
  readonly actor: { readonly type: string; readonly user?: string; readonly role?: string; readonly name?: string; readonly address?: string };
  readonly details: Record<string, unknown>;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly last_seq: number;
  readonly first_broken?: { readonly file: string; readonly line: number; readonly seq?: number; readonly reason: string };
}

export interface KillSwitchState {
  readonly enabled: boolean;
  readonly reason?: string;
  readonly changed_at?: string;
  readonly changed_by?: string;
}

export interface ToolInfo {
  readonly name: string;
  readonly description?: string;
  readonly requires_approval?: boolean;
  readonly args_schema?: unknown;
}

export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly tools: readonly string[] | null;
  readonly created_at: string;
  readonly updated_at: string;
}
