export { defineRoute } from './route.js';
export type { Route, RouteAuth, RouteContext, RouteMethod, RouteSpec } from './route.js';
export { RouteTable } from './route-table.js';
export { openApiDocument, toolCallBodySchema, toolSchemaName } from './openapi.js';
export { gatewayRoutes } from './routes/index.js';
export { errorResponse, eventStreamResponse, jsonResponse, textResponse } from './responses.js';
export { assertSafeJsonValue, MAX_JSON_DEPTH, readJsonBody } from './json-body.js';
export { answerClientError, clientErrorOf, HeadersTooLargeError, RequestTimeoutError } from './client-errors.js';
export { fromNodeRequest, sendNodeResponse } from './node.js';
export { fromWebResponse, toWebRequest } from './web-standard.js';
export type { WebRequestOptions } from './web-standard.js';
export type { NodeRequestOptions } from './node.js';
export { formatServerSentEvent } from './server-sent-events.js';
export type { ServerSentEvent } from './server-sent-events.js';
export { isEventStream } from './types.js';
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
