import type { ApprovalChange, ApprovalQueue } from '../approvals/approval-queue.js';
import type { GatewayEvents } from '../events/gateway-events.js';
import type { Logger } from '../logging/logger.js';
import { auditActorOf, type AuditActor } from './audit-entry.js';
import type { AuditLog } from './audit-log.js';

/**
 * Writes the gateway's auth events to the audit log. Events are synchronous and appends are not,
 * so a failed append is logged here; tool calls, which must not outrun their audit entry, are
 * written by the pipeline itself and awaited.
 */
export function recordAuthEvents(events: GatewayEvents, log: AuditLog, logger: Logger): void {
  const write = (event: string, actor: AuditActor, details: Record<string, unknown>): void => {
    log.append(event, actor, details).catch((error: unknown) => logger.error('could not audit an event', { event, error }));
  };
  events.on('auth.login', (e) => write('login', { type: 'user', user: e.username, jti: e.tokenId }, { address: e.address }));
  events.on('auth.login_failed', (e) =>
    write('login_failed', { type: 'anonymous', address: e.address }, { username: e.username, reason: e.reason }),
  );
  events.on('auth.refreshed', (e) =>
    write('token_refreshed', { type: 'user', user: e.username, jti: e.tokenId }, { previous_jti: e.previousTokenId }),
  );
  events.on('auth.refresh_reused', (e) =>
    write('refresh_reuse_detected', { type: 'anonymous' }, { username: e.username, jti: e.tokenId, action: 'session revoked' }),
  );
  events.on('auth.token_revoked', (e) => write('token_revoked', auditActorOf(e.by), { jti: e.tokenId, scope: e.scope }));
  events.on('auth.user_created', (e) =>
    write('user_created', auditActorOf(e.by), { username: e.username, role: e.role, created: e.created }),
  );
  events.on('auth.user_deleted', (e) => write('user_deleted', auditActorOf(e.by), { username: e.username }));
}

/**
 * Writes approval requests, decisions (with the deciding user) and expiries to the audit log. The
 * run of an approved call is written by the gateway as a `tool_call` entry with its `approval_id`.
 */
export function recordApprovalChanges(
  queue: ApprovalQueue,
  log: AuditLog,
  logger: Logger,
  redactArgs: (args: unknown, origin: string | undefined) => unknown,
): void {
  const write = (event: string, actor: AuditActor, details: Record<string, unknown>): void => {
    log.append(event, actor, details).catch((error: unknown) => logger.error('could not audit an approval change', { event, error }));
  };
  queue.on('change', (change: ApprovalChange) => {
    // Each process audits the changes it made; another process's change is in that process's chain.
    if (change.remote === true) return;
    const { approval } = change;
    const base = { approval_id: approval.id, call_id: approval.callId, tool: approval.tool };
    switch (change.type) {
      case 'approval.requested':
        write('approval_requested', auditActorOf(approval.caller), {
          ...base,
          args: redactArgs(approval.args, approval.origin),
          ...(approval.origin === undefined ? {} : { origin: approval.origin }),
          args_digest: approval.digest,
          expires_at: approval.expiresAt,
        });
        break;
      case 'approval.progress':
      case 'approval.approved':
      case 'approval.rejected': {
        // A quorum's approvals each get an entry, with the count so far; the reason is the decider's own.
        const reason = change.type === 'approval.progress' ? approval.approvals?.at(-1)?.reason : approval.decision?.reason;
        write('approval_decided', change.by === undefined ? { type: 'system', name: 'approvals' } : auditActorOf(change.by), {
          ...base,
          ...(approval.required === undefined ? {} : { approvals: approval.approvals?.length ?? 0 }),
          decision: change.type === 'approval.rejected' ? 'rejected' : 'approved',
          ...(reason === undefined ? {} : { reason }),
          ...(approval.required === undefined ? {} : { required: approval.required }),
        });
        break;
      }
      case 'approval.expired':
        write('approval_expired', { type: 'system', name: 'approvals' }, base);
        break;
      default:
        // executed / failed: the gateway writes the call itself, with its outcome.
        break;
    }
  });
}
