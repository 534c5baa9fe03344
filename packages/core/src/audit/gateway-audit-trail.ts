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
