import type { ApprovalQueue } from '../approvals/approval-queue.js';
import { auditActorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { TokenService } from '../auth/token-service.js';
import type { GatewayEvents } from '../events/gateway-events.js';
import type { ContentFilter } from '../guards/content-filter.js';
import { KillSwitchOnError } from '../guards/guard-errors.js';
import type { KillSwitch } from '../guards/kill-switch.js';
import type { RateLimiter } from '../guards/rate-limiter.js';
import type { Logger } from '../logging/logger.js';
import type { Policies } from '../policy/policies.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { RedactionRules } from '../redaction/redaction-rules.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { noteCallOutcome, type TracingOptions } from '../tracing/index.js';
import type { Caller } from './caller.js';
import type { ExecutionDeps } from './execute.js';
import type { ToolCallContext, ToolCallRequest } from './tool-call.js';

/** Everything the tool-call pipeline reads or writes: the parts, never the gateway that holds them. */
export interface PipelineDeps {
  readonly tools: ToolRegistry;
  readonly auth: TokenService;
  readonly killSwitch: KillSwitch;
  readonly rateLimiter: RateLimiter;
  readonly contentFilter: ContentFilter;
  /** The policy engine, consulted after validation when one is configured. */
  readonly policies: Policies;
  readonly approvals: ApprovalQueue;
  readonly redaction: RedactionRules;
  readonly audit: AuditLog | undefined;
  readonly metrics: GatewayMetrics;
  readonly events: GatewayEvents;
  readonly logger: Logger;
  readonly execution: ExecutionDeps;
  /** Aborts when the gateway closes: new calls are refused and running ones see their signal fire. */
  readonly closing: AbortSignal;
  /** Calls still running, so that closing can wait for them. */
  readonly inFlight: Set<Promise<unknown>>;
  /** What the tool-call spans record (OpenTelemetry); default: no arguments. */
  readonly tracing?: TracingOptions | undefined;
}

export type CallAuditOutcome = {
  readonly outcome: 'ok' | 'refused' | 'failed' | 'queued';
  readonly status: number;
  readonly code?: string;
  readonly approval_id?: string;
  readonly approved_by?: string;
  /** The ids of the policies that decided the call. */
  readonly policies?: readonly string[];
};

/** Args with the call's origin's fields redacted (the audit log scrubs secrets itself). */
export function originRedacted(redaction: RedactionRules, args: unknown, origin: string | undefined): unknown {
  return origin === undefined ? args : redaction.redact(origin, args);
}

/**
 * Writes one `tool_call` entry and waits until it is durable. The details are built in canonical key
 * order (approval_id ... via), so the audit log's serialiser can hand them to the engine unsorted.
 * Of the context only what its type names is kept, so a host's extra properties never reach the log.
 */
export async function auditCall(
  deps: PipelineDeps,
  callId: string,
  request: ToolCallRequest,
  caller: Caller,
  started: number,
  outcome: CallAuditOutcome,
  context?: ToolCallContext,
): Promise<void> {
  // The call's span says what its audit entry says.
  noteCallOutcome(outcome);
  if (deps.audit === undefined) return;
  const via = context?.via;
  const client = context?.client;
  const details: Record<string, unknown> = {};
  if (outcome.approval_id !== undefined) details.approval_id = outcome.approval_id;
  if (outcome.approved_by !== undefined) details.approved_by = outcome.approved_by;
  details.args = originRedacted(deps.redaction, request.args, request.origin);
  details.call_id = callId;
  if (client !== undefined) details.client = { name: String(client.name), version: String(client.version) };
  if (outcome.code !== undefined) details.code = outcome.code;
  details.duration_ms = Math.round((performance.now() - started) * 1000) / 1000;
  if (request.origin !== undefined) details.origin = request.origin;
  details.outcome = outcome.outcome;
  if (outcome.policies !== undefined) details.policies = outcome.policies;
  details.status = outcome.status;
  details.tool = request.tool;
  if (typeof via === 'string') details.via = via;
  await deps.audit.append('tool_call', auditActorOf(caller), details);
}

/** Agents learn only that the switch is on; the operator's reason is for admins and the host itself. */
export function killSwitchErrorFor(killSwitch: KillSwitch, caller: Caller): KillSwitchOnError {
  const trusted = caller.role === 'admin' || caller.kind === 'system';
  return new KillSwitchOnError(trusted ? killSwitch.state.reason : undefined);
}
