import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ApprovalQueue } from './approvals/approval-queue.js';
import type { Approval, ApprovalView } from './approvals/approval.js';
import type { AuditLog } from './audit/audit-log.js';
import type { TokenService } from './auth/token-service.js';
import type { ErrorIssue } from './errors/index.js';
import type { GatewayEvents } from './events/gateway-events.js';
import type { ContentFilter } from './guards/content-filter.js';
import type { GuardSettings } from './guards/guard-settings.js';
import type { KillSwitch } from './guards/kill-switch.js';
import type { RateLimiter } from './guards/rate-limiter.js';
import type { Logger } from './logging/logger.js';
import type { GatewayMetrics } from './metrics/gateway-metrics.js';
import type { Policies } from './policy/policies.js';
import type { ToolCallOptions, ToolCallOutcome, ToolCallRequest } from './pipeline/tool-call.js';
import type { RedactionRules } from './redaction/redaction-rules.js';
import type { TabSharing } from './redaction/tab-sharing.js';
import type { WorkerPoolStatus } from './sandbox/worker-pool.js';
import type { Scheduler } from './scheduler/scheduler.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { JsonSchemaToolDefinition, ToolDefinition } from './tools/tool-definition.js';
import type { ToolRegistry } from './tools/tool-registry.js';

/**
 * What routes, plugins and the scheduler may use: the gateway's parts and its one pipeline, not
 * the `Gateway` that assembles them. A plugin's `onInit` receives this, and so does every route
 * handler (`context.services`); nothing here knows about HTTP.
 */
export interface GatewayServices {
  readonly tools: ToolRegistry;
  readonly auth: TokenService;
  readonly audit: AuditLog | undefined;
  readonly approvals: ApprovalQueue;
  /** The policy engine, if the gateway has one: reload and dry-run checks. */
  readonly policies: Policies;
  readonly redaction: RedactionRules;
  readonly killSwitch: KillSwitch;
  readonly rateLimiter: RateLimiter;
  readonly contentFilter: ContentFilter;
  /** Audited changes to the kill switch and the content filter. */
  readonly guards: GuardSettings;
  /** The shared tab snapshot and the audited changes to redaction rules. */
  readonly tabs: TabSharing;
  readonly secrets: SecretStore;
  readonly scheduler: Scheduler;
  readonly metrics: GatewayMetrics;
  readonly events: GatewayEvents;
  readonly logger: Logger;
  /** Largest request body read, in bytes; plugin routes reading their own bodies honour it too. */
  readonly bodyLimitBytes: number;
  /** `/metrics` needs an admin or approver token. */
  readonly protectMetrics: boolean;
  /** Whether tools may run in a sandbox worker pool. */
  readonly hasWorkerPool: boolean;
  /** Adds a tool to the registry and announces it (`tool.registered`). */
  registerTool<Schema extends StandardSchemaV1, Result>(definition: ToolDefinition<Schema, Result>): unknown;
  /** The same for a tool whose args are a JSON Schema (an MCP upstream's); a schema that does not compile throws. */
  registerTool<Result>(definition: JsonSchemaToolDefinition<Result>): unknown;
  /** Takes a tool out of the registry and announces it (`tool.unregistered`); `false` if there was none. */
  unregisterTool(name: string): boolean;
  /** The one tool-call pipeline. */
  callTool(request: ToolCallRequest, options?: ToolCallOptions): Promise<ToolCallOutcome>;
  /** `[]` when `args` fit the tool's schema, else its issues. Rejects with 404 for an unknown tool. */
  checkArgs(toolName: string, args: unknown): Promise<ErrorIssue[]>;
  /** An approval as admins, approvers and its caller see it (args redacted by origin, secrets scrubbed). */
  approvalView(approval: Approval): ApprovalView;
  /** The worker pool's health; in-process mode is always healthy. */
  workerHealth(): Promise<WorkerPoolStatus>;
}
