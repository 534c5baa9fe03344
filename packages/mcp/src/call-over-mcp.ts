import { isGatewayError, scrubSecretText, type Caller, type GatewayServices, type ToolProgress } from '@agent-gateway/core';
import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type ProgressNotificationParams,
  type ProgressToken,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { holdForApproval } from './approval-hold.js';
import type { CallRegistry, ClientInfo } from './call-registry.js';
import { traceMcpCall } from './mcp-trace.js';
import { errorFieldsOf, successResult, toolErrorResult } from './call-result.js';
import type { ResolvedOptions } from './options.js';
import { resultSchemaOf } from './tool-list.js';

/** Everything one `tools/call` needs besides the request. */
export interface CallScope {
  readonly services: GatewayServices;
  readonly options: ResolvedOptions;
  readonly registry: CallRegistry;
  readonly caller: Caller;
  /** The client's name and version, when it told them (see CallRegistry for the 2025 era). */
  readonly client: () => ClientInfo | undefined;
}

/**
 * The tool's progress as the client's `notifications/progress`, under the token it sent. A
 * notification that cannot be sent (the client has gone) is dropped: progress never fails a call.
 */
function progressSender(progressToken: ProgressToken, send: (params: ProgressNotificationParams) => Promise<void>): (progress: ToolProgress) => void {
  return (progress) => void send({ progressToken, ...progress }).catch(() => undefined);
}

/**
 * `tools/call` through the gateway's one pipeline (`services.callTool`): kill switch, rate limit,
 * allow-list, validation, content filter, approval gate, execution, audit and metrics, exactly as
 * `/tools/call`. What the pipeline refuses is a tool error the model can read and act on (invalid
 * args list their issues); only a tool that does not exist is a protocol error (-32602), as the
 * MCP specification has it. A client that sent a progress token hears the tool's progress (an
 * upstream's included) while it runs, and the approval hold's while it waits.
 */
export function callOverMcp(scope: CallScope, request: CallToolRequest, context: ServerContext): Promise<CallToolResult> {
  const traced = { tool: request.params.name, requestId: context.mcpReq.id, sessionId: context.sessionId, meta: request.params._meta };
  return scope.registry.settle(() => traceMcpCall(traced, () => call(scope, request, context), (result) => result.isError === true));
}

async function call(scope: CallScope, request: CallToolRequest, context: ServerContext): Promise<CallToolResult> {
  const { services, caller } = scope;
  const { name } = request.params;
  const running = scope.registry.start(caller, context.mcpReq.id, context.mcpReq.signal);
  try {
    const client = scope.client();
    const callContext = { via: 'mcp', ...(client === undefined ? {} : { client }) };
    const progressToken = request.params._meta?.progressToken;
    const sendProgress = (params: ProgressNotificationParams) => context.mcpReq.notify({ method: 'notifications/progress', params });
    let outcome;
    try {
      outcome = await services.callTool(
        { tool: name, args: request.params.arguments ?? {} },
        { caller, signal: running.signal, context: callContext, ...(progressToken === undefined ? {} : { onProgress: progressSender(progressToken, sendProgress) }) },
      );
    } catch (error) {
      // A tool's own error may carry any code: only the gateway's own "no such tool" is unknown.
      if (isGatewayError(error) && error.code === 'tool_not_found' && !services.tools.has(name)) {
        // The name is the client's text: bounded and scrubbed, like every message the gateway sends.
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${scrubSecretText(name.slice(0, 128))}`);
      }
      // A GatewayError was logged where it was raised, if it needed to be; anything else is a bug.
      if (!isGatewayError(error)) services.logger.error('mcp: a tool call failed unexpectedly', { error });
      return toolErrorResult(errorFieldsOf(error));
    }
    const structured = resultSchemaOf(services, outcome.tool) !== undefined;
    if (outcome.status === 'executed') return successResult(outcome.result, outcome.callId, structured);
    return await holdForApproval(
      {
        services,
        caller,
        signal: running.signal,
        closing: scope.registry.closing,
        waitMs: scope.options.approvalWaitMs,
        progressIntervalMs: scope.options.progressIntervalMs,
        progressToken,
        sendProgress,
        structured,
      },
      outcome,
    );
  } finally {
    running.end();
  }
}
