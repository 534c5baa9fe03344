/**
 * `@agent-gateway/core/http`: what route, plugin and adapter authors need, and nothing of the
 * gateway's insides. A plugin declares routes with `defineRoute`, reaches the gateway through
 * `GatewayServices`, and bridges a `fetch`-style handler with `toWebRequest`/`fromWebResponse`;
 * an adapter turns its framework's request into a `GatewayRequest` and writes the response back.
 *
 * @module @agent-gateway/core/http
 */
export { definePlugin } from '../plugins/index.js';
export type { GatewayPlugin } from '../plugins/index.js';
export type { GatewayServices } from '../services.js';
export type { Caller } from '../pipeline/caller.js';
export { mayCallTool } from '../pipeline/authorize-tool.js';
export { defineRoute } from './route.js';
export type { Route, RouteAuth, RouteContext, RouteMethod, RouteSpec } from './route.js';
export { errorResponse, eventStreamResponse, jsonResponse, textResponse } from './responses.js';
export { assertSafeJsonValue, MAX_JSON_DEPTH, readJsonBody } from './json-body.js';
export type { JsonBodyLimits } from './json-body.js';
export { fromWebResponse, toWebRequest } from './web-standard.js';
export type { WebRequestOptions } from './web-standard.js';
export { fromNodeRequest, sendNodeResponse } from './node.js';
export type { NodeRequestOptions } from './node.js';
export { answerClientError, clientErrorOf, HeadersTooLargeError, RequestTimeoutError } from './client-errors.js';
export { formatServerSentEvent } from './server-sent-events.js';
export type { ServerSentEvent } from './server-sent-events.js';
export { isEventStream } from './types.js';
export { activeCarrier, ATTR as TRACE_ATTRIBUTES, contextFromCarrier, traceHeaders } from '../tracing/index.js';
export type { TraceCarrier } from '../tracing/index.js';
export type {
  BufferedResponse,
  EventStreamResponse,
  GatewayRequest,
  GatewayResponse,
  HandleOptions,
  RequestBody,
  RequestHeaders,
  ResponseHeaders,
  UnmatchedRequests,
} from './types.js';
