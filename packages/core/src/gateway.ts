import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ApprovalQueue } from './approvals/approval-queue.js';
import { sendApprovalWebhooks } from './approvals/approval-webhooks.js';
import { viewOf, type Approval, type ApprovalView } from './approvals/approval.js';
import type { AuditLog } from './audit/audit-log.js';
import { recordApprovalChanges, recordAuthEvents } from './audit/gateway-audit-trail.js';
import { TokenService } from './auth/token-service.js';
import type { ErrorIssue } from './errors/index.js';
import { GatewayEvents } from './events/index.js';
import type { GatewayOptions } from './gateway-options.js';
import { ContentFilter } from './guards/content-filter.js';
import { GuardSettings } from './guards/guard-settings.js';
import { KillSwitch } from './guards/kill-switch.js';
import { RateLimiter } from './guards/rate-limiter.js';
import { createRequestHandler, type RequestHandler } from './http/request-handler.js';
import { RouteTable } from './http/route-table.js';
import { gatewayRoutes } from './http/routes/index.js';
import type { NodeRequestOptions } from './http/node.js';
import type { GatewayRequest, GatewayResponse, HandleOptions } from './http/types.js';
import { createJsonLogger, scrubbingLogger, type Logger } from './logging/index.js';
import { GatewayMetrics } from './metrics/index.js';
import { callTool } from './pipeline/call-tool.js';
import { findTool } from './pipeline/find-tool.js';
import { originRedacted, type PipelineDeps } from './pipeline/pipeline-deps.js';
import { runApproved } from './pipeline/run-approved.js';
import type { ToolCallOptions, ToolCallOutcome, ToolCallRequest } from './pipeline/tool-call.js';
import { checkToolArgs } from './pipeline/validate-args.js';
import { PluginSet } from './plugins/plugin-set.js';
import { Policies } from './policy/policies.js';
import { RedactionRules } from './redaction/redaction-rules.js';
import { scrubSecrets } from './redaction/scrub-secrets.js';
import { TabSharing } from './redaction/tab-sharing.js';
import { IN_PROCESS_STATUS, type WorkerPool, type WorkerPoolStatus } from './sandbox/worker-pool.js';
import { Scheduler } from './scheduler/scheduler.js';
import { EnvSecretStore } from './secrets/env-secret-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { GatewayServices } from './services.js';
import type { AnyToolDefinition, JsonSchemaToolDefinition, ToolDefinition } from './tools/tool-definition.js';
import { ToolRegistry } from './tools/tool-registry.js';

export type { GatewayOptions } from './gateway-options.js';

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;


/**
 * The gateway: where the parts are assembled. It does not listen on a port; an adapter (or
 * `gateway.nodeListener()`) serves its routes, and a host or a test can call `callTool` directly.
 * The pipeline lives in `pipeline/`, serving in `http/`, features from other packages in plugins.
 */
export class Gateway implements GatewayServices {
  readonly tools = new ToolRegistry();
  readonly metrics: GatewayMetrics;
  readonly events: GatewayEvents;
  readonly auth: TokenService;
  readonly audit: AuditLog | undefined;
  readonly approvals: ApprovalQueue;
  /** The policy engine (`GatewayOptions.policy`), if any: `await gateway.policies.start()` loads its first set. */
  readonly policies: Policies;
  readonly redaction: RedactionRules;
  readonly killSwitch: KillSwitch;
  readonly rateLimiter: RateLimiter;
  readonly contentFilter: ContentFilter;
  readonly guards: GuardSettings;
  readonly tabs: TabSharing;
  readonly secrets: SecretStore;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly protectMetrics: boolean;

  readonly #workerPool: WorkerPool | undefined;
  readonly #pipeline: PipelineDeps;
  readonly #closing = new AbortController();
  readonly #plugins: PluginSet;
  readonly #http: RequestHandler;

  constructor(options: GatewayOptions = {}) {
    this.metrics = new GatewayMetrics(options.metrics);
    const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
      throw new RangeError(`bodyLimitBytes must be a positive integer, got ${bodyLimit}`);
    }
    this.bodyLimitBytes = bodyLimit;
    this.protectMetrics = options.protectMetrics ?? false;
    // Every part logs through this one: no line leaves with a secret in it, whatever the host's logger.
    this.logger = scrubbingLogger(options.logger ?? createJsonLogger());
    this.events = new GatewayEvents(this.logger);
    this.auth = new TokenService({ logger: this.logger, ...options.auth }, this.events);
    this.audit = options.audit;
    this.approvals =
      options.approvals instanceof ApprovalQueue ? options.approvals : new ApprovalQueue({ logger: this.logger, ...options.approvals });
    this.redaction = options.redaction ?? new RedactionRules();
    this.killSwitch = options.killSwitch ?? new KillSwitch();
    this.rateLimiter = options.rateLimits instanceof RateLimiter ? options.rateLimits : new RateLimiter(options.rateLimits);
    this.contentFilter = options.contentFilter ?? new ContentFilter();
    this.guards = new GuardSettings({ killSwitch: this.killSwitch, contentFilter: this.contentFilter, audit: this.audit, logger: this.logger });
    this.tabs = new TabSharing(this.redaction, this.audit);
    this.secrets = options.secrets ?? new EnvSecretStore();
    this.#workerPool = options.workerPool;
    this.policies = new Policies(options.policy, { tools: this.tools, logger: this.logger, audit: this.audit });
    this.#pipeline = {
      tools: this.tools,
      auth: this.auth,
      killSwitch: this.killSwitch,
      rateLimiter: this.rateLimiter,
      contentFilter: this.contentFilter,
      policies: this.policies,
      approvals: this.approvals,
      redaction: this.redaction,
      audit: this.audit,
      metrics: this.metrics,
      events: this.events,
      logger: this.logger,
      execution: { pool: options.workerPool, docker: options.docker, secrets: this.secrets },
      closing: this.#closing.signal,
      inFlight: new Set(),
      tracing: options.tracing,
    };
    this.approvals.setRunner((approval) => runApproved(this.#pipeline, approval));
    this.scheduler = new Scheduler(this, options.scheduler);
    this.metrics.readKillSwitchFrom(() => this.killSwitch.enabled);
    this.metrics.readProvidersFrom(() => this.secrets.list());
    this.metrics.readWorkerStatusFrom(() => this.workerHealth());
    if (options.webhooks !== undefined && options.webhooks.urls.length > 0) {
      sendApprovalWebhooks(this.approvals, options.webhooks, (change) => this.approvalView(change.approval), this.logger);
    }
    if (this.audit !== undefined) {
      recordAuthEvents(this.events, this.audit, this.logger);
      recordApprovalChanges(this.approvals, this.audit, this.logger, (args, origin) => originRedacted(this.redaction, args, origin));
    }
    this.#plugins = new PluginSet(options.plugins ?? []);
    const table = new RouteTable([...gatewayRoutes, ...this.#plugins.routes]);
    this.#http = createRequestHandler(this, table, this.#plugins.start(this));
  }

  registerTool<Schema extends StandardSchemaV1, Result>(definition: ToolDefinition<Schema, Result>): this;
  registerTool<Result>(definition: JsonSchemaToolDefinition<Result>): this;
  registerTool(definition: AnyToolDefinition): this {
    this.tools.register(definition);
    this.events.emitSafely('tool.registered', { tool: definition.name });
    return this;
  }

  /** Takes a tool out of the registry and announces it (`tool.unregistered`); `false` if there was none. */
  unregisterTool(name: string): boolean {
    const removed = this.tools.unregister(name);
    if (removed) this.events.emitSafely('tool.unregistered', { tool: name });
    return removed;
  }

  /** The one tool-call pipeline (`pipeline/call-tool.ts`): every outcome is audited before the caller hears of it. */
  callTool(request: ToolCallRequest, options: ToolCallOptions = {}): Promise<ToolCallOutcome> {
    return callTool(this.#pipeline, request, options);
  }

  /** Args as approvers may see them: the origin's fields and all secrets replaced. */
  redactArgs(args: unknown, origin?: string): unknown {
    return scrubSecrets(originRedacted(this.redaction, args, origin));
  }

  /** An approval as admins, approvers and its caller see it (args redacted). */
  approvalView(approval: Approval): ApprovalView {
    return viewOf(approval, (args) => this.redactArgs(args, approval.origin));
  }

  /** `[]` when `args` fit the tool's schema, else the schema's issues. Rejects with 404 for an unknown tool. */
  async checkArgs(toolName: string, args: unknown): Promise<ErrorIssue[]> {
    const check = await checkToolArgs(findTool(this.tools, toolName), args);
    return check.ok ? [] : check.issues;
  }

  get hasWorkerPool(): boolean {
    return this.#workerPool !== undefined;
  }

  /** The worker pool's health; in-process mode is always healthy. */
  async workerHealth(): Promise<WorkerPoolStatus> {
    if (this.#workerPool === undefined) return IN_PROCESS_STATUS;
    try {
      return await this.#workerPool.health();
    } catch (error) {
      this.logger.error('worker pool health check threw', { error });
      return { healthy: false, alive: 0, size: 0 };
    }
  }

  /** See `RequestHandler.handle`: one framework-free request in, a response out; never rejects. */
  handle(request: GatewayRequest, options?: HandleOptions): Promise<GatewayResponse | undefined> {
    return this.#http.handle(request, options);
  }

  /** See `RequestHandler.handleNode`: what both adapters call. */
  handleNode(req: IncomingMessage, res: ServerResponse, options?: NodeRequestOptions & HandleOptions): Promise<boolean> {
    return this.#http.handleNode(req, res, options);
  }

  /** A `node:http` request listener serving every route, with JSON 404s for the rest. */
  nodeListener(): (req: IncomingMessage, res: ServerResponse) => void {
    return this.#http.nodeListener();
  }

  /** Refuses new calls, aborts running ones through their signal, waits for them, then closes every part. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    await this.scheduler.stop();
    this.#closing.abort();
    await Promise.allSettled(this.#pipeline.inFlight);
    await this.#plugins.close(this.logger);
    this.approvals.close();
    await this.policies.close();
    await this.#workerPool?.close?.();
    await this.secrets.close?.();
    await this.audit?.close();
    this.events.emitSafely('gateway.closed');
    this.events.removeAllListeners();
  }
}
