/**
 * The span attribute names the gateway writes. The GenAI and MCP ones are OpenTelemetry's semantic
 * conventions; everything of the gateway's own is under one prefix, `agent_gateway.`, so a trace
 * viewer's query can find them all.
 */
export const ATTR = {
  // GenAI semantic conventions (execute_tool spans)
  operationName: 'gen_ai.operation.name',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  /** Opt-in only, redacted and scrubbed first (see `TracingOptions.recordArguments`). */
  toolCallArguments: 'gen_ai.tool.call.arguments',
  // MCP semantic conventions
  mcpMethod: 'mcp.method.name',
  mcpSession: 'mcp.session.id',
  jsonRpcRequestId: 'jsonrpc.request.id',
  // General conventions
  errorType: 'error.type',
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  // The gateway's own
  outcome: 'agent_gateway.outcome',
  errorCode: 'agent_gateway.error.code',
  approvalId: 'agent_gateway.approval.id',
  approvalState: 'agent_gateway.approval.state',
  via: 'agent_gateway.via',
  sandboxMode: 'agent_gateway.sandbox.mode',
  policyIds: 'agent_gateway.policy.ids',
  auditEvent: 'agent_gateway.audit.event',
  auditSeq: 'agent_gateway.audit.seq',
} as const;

/** The value of `gen_ai.operation.name` on a tool call's span. */
export const EXECUTE_TOOL = 'execute_tool';
