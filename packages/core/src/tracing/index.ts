export { traceApprovalWait } from './approval-wait.js';
export { ATTR, EXECUTE_TOOL } from './attributes.js';
export { nameRoute, traceRequest } from './http-span.js';
export {
  activeCarrier,
  activeTraceId,
  carrierOf,
  contextFromCarrier,
  extractFromHeaders,
  formatTraceparent,
  parseTraceparent,
  traceHeaders,
  type TraceCarrier,
} from './trace-context.js';
export { approvalContextOf, linksTo, noteCallOutcome, noteSandboxMode, tracePolicyIds, traceToolCall, type TracedCall } from './tool-span.js';
export { tracer, type TracingOptions } from './tracer.js';
