import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { auditActorOf } from './audit/audit-entry.js';
import type { AuditLog } from './audit/audit-log.js';
import { recordAuthEvents } from './audit/gateway-audit-trail.js';
import { ContentFilter, type ContentRule, type ContentRuleInput } from './guards/content-filter.js';
import { KillSwitchOnError } from './guards/guard-errors.js';
import { KillSwitch, type KillSwitchState } from './guards/kill-switch.js';
import { RateLimiter, type RateLimitOptions } from './guards/rate-limiter.js';
import { normalizeOrigin } from './redaction/origin.js';
import { RedactionRules } from './redaction/redaction-rules.js';
import type { TabSnapshot } from './redaction/tab-snapshot.js';
import { scrubSecrets } from './redaction/scrub-secrets.js';
import { scrubSecretText } from './redaction/secret-text.js';
import { TokenService, type TokenServiceOptions } from './auth/token-service.js';
import { AuditUnavailableError, BadRequestError, failureOf, GatewayError, ServiceUnavailableError, type ErrorIssue } from './errors/index.js';
import { GatewayEvents } from './events/index.js';
import { handleRequest } from './http/handle-request.js';
import { fromNodeRequest, sendNodeResponse, type NodeRequestOptions } from './http/node.js';
import { RouteTable } from './http/route-table.js';
import { gatewayRoutes } from './http/routes/index.js';
import type { GatewayRequest, GatewayResponse, HandleOptions } from './http/types.js';
import { createJsonLogger, scrubbingLogger, type Logger } from './logging/index.js';
import { GatewayMetrics } from './metrics/index.js';
import { ApprovalQueue, type ApprovalQueueOptions } from './approvals/approval-queue.js';
import { sendApprovalWebhooks, type WebhookOptions } from './approvals/approval-webhooks.js';
import { viewOf, type Approval, type ApprovalView } from './approvals/approval.js';
import { recordApprovalChanges } from './audit/gateway-audit-trail.js';
import { needsApproval } from './pipeline/approval-gate.js';
import { authorizeTool } from './pipeline/authorize-tool.js';
import { ANONYMOUS_CALLER, type Caller } from './pipeline/caller.js';
import { execute } from './pipeline/execute.js';
import { findTool } from './pipeline/find-tool.js';
import type { ToolCallOptions, ToolCallOutcome, ToolCallRequest } from './pipeline/tool-call.js';
import { checkToolArgs, validateArgs } from './pipeline/validate-args.js';
import { IN_PROCESS_STATUS, type ContainerRunner, type WorkerPool, type WorkerPoolStatus } from './sandbox/worker-pool.js';
import type { ExecutionDeps } from './pipeline/execute.js';
import { EnvSecretStore } from './secrets/env-secret-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { Scheduler, type SchedulerOptions } from './scheduler/scheduler.js';
import type { ToolDefinition } from './tools/tool-definition.js';
import { ToolRegistry } from './tools/tool-registry.js';

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

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
}

/**
 * The gateway: its tools, the tool-call pipeline, the route table, metrics and events. It does
 * not listen on a port; an adapter (or `gateway.handleNode`) serves its routes, and a host or a
 * test can call `callTool` directly.
 */
export class Gateway {
  readonly tools = new ToolRegistry();
  readonly metrics = new GatewayMetrics();
  readonly events: GatewayEvents;
  readonly auth: TokenService;
  readonly audit: AuditLog | undefined;
  readonly approvals: ApprovalQueue;
  readonly redaction: RedactionRules;
  readonly killSwitch: KillSwitch;
  readonly rateLimiter: RateLimiter;
  readonly contentFilter: ContentFilter;
  readonly secrets: SecretStore;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly protectMetrics: boolean;

  readonly #routes = new RouteTable(gatewayRoutes);
  readonly #workerPool: WorkerPool | undefined;
  readonly #execution: ExecutionDeps;
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #tabSnapshot: TabSnapshot | undefined;

  constructor(options: GatewayOptions = {}) {
    const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
    if (!Number.isInteger(bodyLimit) || bodyLimit < 1) {
      throw new RangeError(`bodyLimitBytes must be a positive integer, got ${bodyLimit}`);
    }
    this.bodyLimitBytes = bodyLimit;
    this.protectMetrics = options.protectMetrics ?? false;
    // Every part logs through this one: no line leaves with a secret in it, whatever the host's logger.
    this.logger = scrubbingLogger(options.logger ?? createJsonLogger());
    this.events = new GatewayEvents(this.logger);
    this.auth = new TokenService(options.auth ?? {}, this.events);
    this.audit = options.audit;
    this.approvals =
      options.approvals instanceof ApprovalQueue ? options.approvals : new ApprovalQueue({ logger: this.logger, ...options.approvals });
    this.approvals.setRunner((approval) => this.#runApproved(approval));
    this.redaction = options.redaction ?? new RedactionRules();
    this.killSwitch = options.killSwitch ?? new KillSwitch();
    this.rateLimiter = options.rateLimits instanceof RateLimiter ? options.rateLimits : new RateLimiter(options.rateLimits);
    this.contentFilter = options.contentFilter ?? new ContentFilter();
    this.metrics.readKillSwitchFrom(() => this.killSwitch.enabled);
    this.metrics.readProvidersFrom(() => this.secrets.list());
    this.scheduler = new Scheduler(this, options.scheduler);
    if (options.webhooks !== undefined && options.webhooks.urls.length > 0) {
      sendApprovalWebhooks(this.approvals, options.webhooks, (change) => this.approvalView(change.approval), this.logger);
    }
    if (this.audit !== undefined) {
      recordAuthEvents(this.events, this.audit, this.logger);
      recordApprovalChanges(this.approvals, this.audit, this.logger, (args, origin) => this.#originRedacted(args, origin));
    }
    this.#workerPool = options.workerPool;
    this.secrets = options.secrets ?? new EnvSecretStore();
    this.#execution = { pool: options.workerPool, docker: options.docker, secrets: this.secrets };
    this.metrics.readWorkerStatusFrom(() => this.workerHealth());
  }

  registerTool<Schema extends z.ZodType, Result>(definition: ToolDefinition<Schema, Result>): this {
    this.tools.register(definition);
    this.events.emitSafely('tool.registered', { tool: definition.name });
    return this;
  }

  /**
   * The tool-call pipeline, in the design's order. Each step is a small function that throws a
   * GatewayError to stop the call; later parts slot in where their comment stands. Every outcome,
   * refusals included, is audited before the caller hears of it.
   */
  async callTool(request: ToolCallRequest, options: ToolCallOptions = {}): Promise<ToolCallOutcome> {
    if (this.#closing.signal.aborted) throw new ServiceUnavailableError('gateway_closed', 'the gateway is shutting down');
    const caller = options.caller ?? ANONYMOUS_CALLER;
    const callId = randomUUID();
    const started = performance.now();
    const signals = options.signal === undefined ? [this.#closing.signal] : [options.signal, this.#closing.signal];
    let toolName: string | undefined;
    let ran = false;
    const run = (async (): Promise<ToolCallOutcome> => {
      try {
        // authenticate: done before this point (the route's bearer token, or the host names the caller).
        if (this.killSwitch.enabled) throw this.#killSwitchErrorFor(caller);
        await this.rateLimiter.check(caller, request.tool);
        const tool = findTool(this.tools, request.tool);
        toolName = tool.name;
        this.metrics.toolCalls.inc({ tool: tool.name });
        authorizeTool(caller, tool);
        let args: unknown;
        try {
          args = validateArgs(tool, request.args);
        } catch (error) {
          this.metrics.toolValidationErrors.inc({ tool: tool.name });
          throw error;
        }
        this.contentFilter.check(args);
        // redact: done where the args are shown (audit entries, approval views), by the call's origin.
        // An action that cannot be audited must not happen.
        if (this.audit?.failure !== undefined) throw new AuditUnavailableError({ cause: this.audit.failure });
        if (needsApproval(tool, args, caller)) {
          const approval = await this.approvals.request({ callId, tool: tool.name, args, caller, ...(request.origin === undefined ? {} : { origin: request.origin }) });
          this.metrics.approvalsQueued.inc();
          await this.#auditCall(callId, request, caller, started, { outcome: 'queued', status: 202, approval_id: approval.id });
          return { status: 'pending', callId, tool: tool.name, approvalId: approval.id, expiresAt: approval.expiresAt };
        }
        ran = true;
        const result = await execute(tool, args, { callId, caller, signals }, this.#execution, this.logger);
        await this.#auditCall(callId, request, caller, started, { outcome: 'ok', status: 200 });
        this.events.emitSafely('tool.succeeded', { callId, tool: tool.name, caller, durationMs: performance.now() - started });
        return { status: 'executed', callId, tool: tool.name, result };
      } catch (error) {
        const { code, status } = failureOf(error);
        if (!(error instanceof AuditUnavailableError)) {
          await this.#auditCall(callId, request, caller, started, { outcome: ran ? 'failed' : 'refused', status, code });
        }
        if (toolName !== undefined) {
          this.events.emitSafely('tool.failed', { callId, tool: toolName, caller, durationMs: performance.now() - started, code, status });
        }
        throw error;
      } finally {
        if (toolName !== undefined) {
          this.metrics.toolCallDuration.observe({ tool: toolName }, (performance.now() - started) / 1000);
        }
      }
    })();
    this.#inFlight.add(run);
    try {
      return await run;
    } finally {
      this.#inFlight.delete(run);
    }
  }

  /** Writes one `tool_call` entry and waits until it is durable. */
  async #auditCall(
    callId: string,
    request: ToolCallRequest,
    caller: Caller,
    started: number,
    outcome: { outcome: 'ok' | 'refused' | 'failed' | 'queued'; status: number; code?: string; approval_id?: string; approved_by?: string },
  ): Promise<void> {
    if (this.audit === undefined) return;
    await this.audit.append('tool_call', auditActorOf(caller), {
      call_id: callId,
      tool: request.tool,
      // The audit log scrubs secrets itself; only the origin's fields are this gateway's to apply.
      args: this.#originRedacted(request.args, request.origin),
      ...(request.origin === undefined ? {} : { origin: request.origin }),
      ...outcome,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
  }

  /**
   * Runs a call a person approved, as its original caller: that caller is looked up again, so a
   * user deleted or stripped of the tool since asking does not get it run. Audited like any call.
   */
  async #runApproved(approval: Approval): Promise<unknown> {
    const started = performance.now();
    const request = { tool: approval.tool, args: approval.args, ...(approval.origin === undefined ? {} : { origin: approval.origin }) };
    const approvedBy = approval.decision?.by;
    let caller = approval.caller;
    try {
      if (caller.kind === 'user') {
        const current = await this.auth.callerFor(caller.id, caller.userId);
        caller = { ...current, ...(approval.caller.tokenId === undefined ? {} : { tokenId: approval.caller.tokenId }) };
      }
      // The switch may have been thrown while the call waited for its approval.
      if (this.killSwitch.enabled) throw this.#killSwitchErrorFor(caller);
      const tool = findTool(this.tools, approval.tool);
      authorizeTool(caller, tool);
      const result = await execute(tool, approval.args, { callId: approval.callId, caller, signals: [this.#closing.signal] }, this.#execution, this.logger);
      await this.#auditCall(approval.callId, request, caller, started, {
        outcome: 'ok',
        status: 200,
        approval_id: approval.id,
        ...(approvedBy === undefined ? {} : { approved_by: approvedBy }),
      });
      return result;
    } catch (error) {
      const { code, status } = failureOf(error);
      await this.#auditCall(approval.callId, request, caller, started, {
        outcome: 'failed',
        status,
        code,
        approval_id: approval.id,
        ...(approvedBy === undefined ? {} : { approved_by: approvedBy }),
      }).catch((auditError: unknown) => this.logger.error('could not audit a failed approved call', { error: auditError }));
      throw error;
    }
  }

  /** Args as approvers may see them: the origin's fields and all secrets replaced. */
  redactArgs(args: unknown, origin?: string): unknown {
    return scrubSecrets(this.#originRedacted(args, origin));
  }

  #originRedacted(args: unknown, origin: string | undefined): unknown {
    return origin === undefined ? args : this.redaction.redact(origin, args);
  }

  /** An approval as admins, approvers and its caller see it (args redacted). */
  approvalView(approval: Approval): ApprovalView {
    return viewOf(approval, (args) => this.redactArgs(args, approval.origin));
  }

  /** Agents learn only that the switch is on; the operator's reason is for admins and the host itself. */
  #killSwitchErrorFor(caller: Caller): KillSwitchOnError {
    const trusted = caller.role === 'admin' || caller.kind === 'system';
    return new KillSwitchOnError(trusted ? this.killSwitch.state.reason : undefined);
  }

  /** Turns the kill switch on or off, persists it and audits who did it. */
  async setKillSwitch(enabled: boolean, reason: string | undefined, by: Caller): Promise<KillSwitchState> {
    const state = await this.killSwitch.set(enabled, reason, by.id);
    await this.audit?.append('kill_switch', auditActorOf(by), { enabled, ...(reason === undefined ? {} : { reason }) });
    this.logger.warn(`kill switch ${enabled ? 'ON' : 'off'}`, { by: by.id, reason });
    return state;
  }

  /** Replaces an origin's redaction fields, persists them and audits the change. */
  async setRedactionRules(origin: string, fields: readonly string[], by: Caller): Promise<{ origin: string; fields: string[] }> {
    const rules = await this.redaction.set(origin, fields);
    await this.audit?.append('redaction_rules_set', auditActorOf(by), rules);
    return rules;
  }

  /**
   * Stores the user's current tab for agents to read, redacted by its origin's rules first (the
   * original is never kept), and audits the share as the user's consent record.
   */
  async shareTabSnapshot(input: { origin?: string; url?: string; title: string; content: unknown }, by: Caller): Promise<TabSnapshot> {
    const source = input.origin ?? input.url;
    if (source === undefined) throw new BadRequestError('a snapshot needs its origin or url');
    const origin = normalizeOrigin(source, { fromUrl: input.origin === undefined });
    const snapshot: TabSnapshot = {
      origin,
      ...(input.url === undefined ? {} : { url: scrubSecretText(input.url) }),
      title: scrubSecretText(input.title),
      content: scrubSecrets(this.redaction.redact(origin, input.content)),
      shared_at: new Date().toISOString(),
      shared_by: by.id,
    };
    await this.audit?.append('tab_snapshot_shared', auditActorOf(by), {
      origin,
      title: snapshot.title,
      redacted_fields: (await this.redaction.get(origin)).fields,
    });
    this.#tabSnapshot = snapshot;
    return snapshot;
  }

  get tabSnapshot(): TabSnapshot | undefined {
    return this.#tabSnapshot;
  }

  async addContentRule(input: ContentRuleInput, by: Caller): Promise<ContentRule> {
    const rule = await this.contentFilter.add(input, by.id);
    await this.audit?.append('content_filter_rule_added', auditActorOf(by), { rule });
    return rule;
  }

  async removeContentRule(id: string, by: Caller): Promise<void> {
    await this.contentFilter.remove(id);
    await this.audit?.append('content_filter_rule_removed', auditActorOf(by), { id });
  }

  /** `[]` when `args` fit the tool's schema, else zod's issues. Throws 404 for an unknown tool. */
  checkArgs(toolName: string, args: unknown): ErrorIssue[] {
    const check = checkToolArgs(findTool(this.tools, toolName), args);
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

  /**
   * Serves one framework-free request from the route table. Resolves to `undefined` only when no
   * route matches and `unmatched` is `'pass'`. Never rejects.
   */
  handle(request: GatewayRequest, options?: HandleOptions): Promise<GatewayResponse | undefined> {
    return handleRequest(this, this.#routes, this.logger, request, options);
  }

  /**
   * Serves a Node request/response pair: what both adapters call. Resolves to `false` when the
   * request was passed on (nothing was written), `true` when the gateway answered it. Never rejects.
   */
  async handleNode(
    req: IncomingMessage,
    res: ServerResponse,
    options: NodeRequestOptions & HandleOptions = {},
  ): Promise<boolean> {
    const response = await this.handle(fromNodeRequest(req, res, options), options);
    if (response === undefined) return false;
    try {
      await sendNodeResponse(res, response, this.logger);
    } catch (error) {
      // The answer could not be written (socket gone, bad header): nothing useful can reach this client.
      this.logger.error('failed to write a response', { error });
      res.destroy();
    }
    return true;
  }

  /** A `node:http` request listener serving every route, with JSON 404s for the rest. */
  nodeListener(): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      void this.handleNode(req, res, { unmatched: 'respond' });
    };
  }

  /** Refuses new calls, aborts running ones through their signal, and waits for them to settle. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    await this.scheduler.stop();
    this.#closing.abort();
    await Promise.allSettled(this.#inFlight);
    this.approvals.close();
    await this.#workerPool?.close?.();
    await this.secrets.close?.();
    await this.audit?.close();
    this.events.emitSafely('gateway.closed');
    this.events.removeAllListeners();
  }
}
