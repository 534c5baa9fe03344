import type { ApprovalQueue, ApprovalQueueOptions } from './approvals/approval-queue.js';
import type { WebhookOptions } from './approvals/approval-webhooks.js';
import type { AuditLog } from './audit/audit-log.js';
import type { TokenServiceOptions } from './auth/token-service.js';
import type { ContentFilter } from './guards/content-filter.js';
import type { KillSwitch } from './guards/kill-switch.js';
import type { RateLimiter, RateLimitOptions } from './guards/rate-limiter.js';
import type { Logger } from './logging/index.js';
import type { GatewayPlugin } from './plugins/plugin.js';
import type { PolicyEngine } from './policy/policy-engine.js';
import type { RedactionRules } from './redaction/redaction-rules.js';
import type { ContainerRunner, WorkerPool } from './sandbox/worker-pool.js';
import type { SchedulerOptions } from './scheduler/scheduler.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { TracingOptions } from './tracing/tracer.js';
import type { MetricsOptions } from './metrics/gateway-metrics.js';

/** Everything a `Gateway` can be given; each part has an embedded default. */
export interface GatewayOptions {
  /** Largest request body read, in bytes. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /**
   * The sandbox worker pool (`await SandboxPool.start(...)`): tools with `run: { sandbox: 'pool' }`
   * run there, and `/health/worker` reports it. The gateway closes it on `close()`.
   */
  readonly workerPool?: WorkerPool;
  /** Runs tools with `run: { sandbox: 'docker' }` (`DockerRunner`). */
  readonly docker?: ContainerRunner;
  /** Default: JSON lines on stderr. */
  readonly logger?: Logger;
  /**
   * Users, tokens and login. Default: users in memory (none), a random HS256 key. Use
   * `createGatewayFromConfig()` for the file-backed users and the bootstrap admin.
   */
  readonly auth?: TokenServiceOptions;
  /**
   * The tamper-evident audit log (`await AuditLog.open(path)`). Every tool call and auth event is
   * written to it; the gateway closes it on `close()`. Without one nothing is audited.
   */
  readonly audit?: AuditLog;
  /** The approval queue, or its options (timeout, store, self-approval). Default: in memory, 300 s. */
  readonly approvals?: ApprovalQueue | ApprovalQueueOptions;
  /** POST every approval change, HMAC-signed, to these URLs. */
  readonly webhooks?: WebhookOptions;
  /** Per-origin redaction rules (call `load()` first for a file store). Default: in memory. */
  readonly redaction?: RedactionRules;
  /** Default: off, in memory. `new KillSwitch(path)` keeps its state across restarts. */
  readonly killSwitch?: KillSwitch;
  /** Token buckets for tool calls. Default: 600/min per token, 6000/min in all. */
  readonly rateLimits?: RateLimiter | RateLimitOptions;
  /** Deny rules over tool-call args. Default: none, in memory. */
  readonly contentFilter?: ContentFilter;
  /** Where provider keys come from (`VaultSecretStore`). Default: `<NAME>_API_KEY` variables. */
  readonly secrets?: SecretStore;
  /** Where scheduled tasks are kept. Default: in memory. Call `gateway.scheduler.start()` to run them. */
  readonly scheduler?: SchedulerOptions;
  /** Serve `/metrics` to admins and approvers only (a bearer token). Default false: open, as scrapers expect. */
  readonly protectMetrics?: boolean;
  /** The format of `/metrics`: `{ openMetrics: true }` adds trace-id exemplars to the tool-call latency histogram. */
  readonly metrics?: MetricsOptions;
  /**
   * Features from other packages (the MCP endpoint, upstreams, the console): their routes join the
   * route table, their `onInit` runs in order, their `close` in reverse. See `GatewayPlugin`.
   */
  readonly plugins?: readonly GatewayPlugin[];
  /**
   * Rules over who calls which tool with which args and when (`cedarPolicies()` from
   * `@agent-gateway/policy-cedar`): consulted after validation, deciding allow, deny or approval by N
   * people. Default: none; roles, allow-lists and each tool's `requiresApproval` decide alone.
   */
  readonly policy?: PolicyEngine;
  /**
   * What the OpenTelemetry spans record (the host registers the SDK; without one tracing costs
   * nothing). Default: no tool arguments. See docs/observability.md.
   */
  readonly tracing?: TracingOptions;
}
