import { randomUUID } from 'node:crypto';
import { AuditUnavailableError, failureOf, ServiceUnavailableError } from '../errors/index.js';
import { authorizeTool } from './authorize-tool.js';
import { ANONYMOUS_CALLER } from './caller.js';
import { execute } from './execute.js';
import { findTool } from './find-tool.js';
import { activeTraceId, approvalContextOf, traceToolCall } from '../tracing/index.js';
import { auditCall, killSwitchErrorFor, originRedacted, type PipelineDeps } from './pipeline-deps.js';
import type { ToolCallOptions, ToolCallOutcome, ToolCallRequest } from './tool-call.js';
import { validArgs } from './validate-args.js';
import { approversNeeded, consultPolicy } from '../policy/consult-policy.js';
import { policiesAudited } from '../policy/policy-audit.js';

/**
 * The tool-call pipeline, in the design's order. Each step is a small function that throws a
 * GatewayError to stop the call; later parts slot in where their comment stands. Every outcome,
 * refusals included, is audited before the caller hears of it. The JSON API, MCP, the scheduler
 * and hosts all come through here: there is no second pipeline.
 */
export async function callTool(deps: PipelineDeps, request: ToolCallRequest, options: ToolCallOptions = {}): Promise<ToolCallOutcome> {
  if (deps.closing.aborted) throw new ServiceUnavailableError('gateway_closed', 'the gateway is shutting down');
  const caller = options.caller ?? ANONYMOUS_CALLER;
  const callId = randomUUID();
  const started = performance.now();
  // Read only when the tool asks: an HTTP request's signal is made on first use.
  const signals = (): readonly AbortSignal[] => (options.signal === undefined ? [deps.closing] : [options.signal, deps.closing]);
  const { context } = options;
  let toolName: string | undefined;
  let ran = false;
  let policyIds: readonly string[] | undefined;
  // Inside the call's `execute_tool` span (a no-op without an OpenTelemetry SDK).
  const shownArgs = (): unknown => originRedacted(deps.redaction, request.args, request.origin);
  const run = traceToolCall({ tool: request.tool, callId, context, tracing: deps.tracing, shownArgs }, async (): Promise<ToolCallOutcome> => {
    try {
      // authenticate: done before this point (the route's bearer token, or the host names the caller).
      // A shared switch that cannot be read refuses (503) rather than allows.
      deps.killSwitch.assertCurrent();
      if (deps.killSwitch.enabled) throw killSwitchErrorFor(deps.killSwitch, caller);
      await deps.rateLimiter.check(caller, request.tool);
      const tool = findTool(deps.tools, request.tool);
      toolName = tool.name;
      deps.metrics.toolCalls.inc({ tool: tool.name });
      authorizeTool(caller, tool);
      let args: unknown;
      try {
        // A schema that checks synchronously gives its result as is: no tick spent waiting on it.
        const checked = tool.checkArgs(request.args);
        args = validArgs(tool, checked instanceof Promise ? await checked : checked);
      } catch (error) {
        deps.metrics.toolValidationErrors.inc({ tool: tool.name });
        throw error;
      }
      const decided = consultPolicy(deps.policies, tool, args, caller, request, context);
      const policy = decided instanceof Promise ? await decided : decided;
      policyIds = policy?.policies;
      deps.contentFilter.check(args);
      // redact: done where the args are shown (audit entries, approval views), by the call's origin.
      // An action that cannot be audited must not happen.
      if (deps.audit?.failure !== undefined) throw new AuditUnavailableError({ cause: deps.audit.failure });
      const approvers = approversNeeded(policy, tool, args, caller);
      if (approvers > 0) {
        const approval = await deps.approvals.request({
          callId,
          tool: tool.name,
          args,
          caller,
          ...(approvers > 1 ? { required: approvers } : {}),
          ...(policyIds === undefined ? {} : { policies: policyIds }),
          ...(request.origin === undefined ? {} : { origin: request.origin }),
          // With the asking span's trace context: the approved run links back to it.
          ...approvalContextOf(context),
        });
        deps.metrics.approvalsQueued.inc();
        await auditCall(deps, callId, request, caller, started, { outcome: 'queued', status: 202, approval_id: approval.id, ...policiesAudited(policyIds) }, context);
        return { status: 'pending', callId, tool: tool.name, approvalId: approval.id, expiresAt: approval.expiresAt };
      }
      ran = true;
      const result = await execute(tool, args, { callId, caller, signals, onProgress: options.onProgress }, deps.execution, deps.logger);
      await auditCall(deps, callId, request, caller, started, { outcome: 'ok', status: 200, ...policiesAudited(policyIds) }, context);
      deps.events.emitSafely('tool.succeeded', { callId, tool: tool.name, caller, durationMs: performance.now() - started });
      return { status: 'executed', callId, tool: tool.name, result };
    } catch (error) {
      const { code, status } = failureOf(error);
      if (!(error instanceof AuditUnavailableError)) {
        await auditCall(deps, callId, request, caller, started, { outcome: ran ? 'failed' : 'refused', status, code, ...policiesAudited(policyIds, error) }, context);
      }
      if (toolName !== undefined) {
        deps.events.emitSafely('tool.failed', { callId, tool: toolName, caller, durationMs: performance.now() - started, code, status });
      }
      throw error;
    } finally {
      if (toolName !== undefined) {
        deps.metrics.observeToolCall(toolName, (performance.now() - started) / 1000, activeTraceId());
      }
    }
  });
  deps.inFlight.add(run);
  try {
    return await run;
  } finally {
    deps.inFlight.delete(run);
  }
}
