/**
 * The HTTP conformance suite: one body of tests that every way of serving the gateway runs
 * unchanged (core's node:http listener, the Express router, the Fastify plugin, and any plugin
 * package that wants the same guarantees). Model: whatwg-node's test-server.
 */
export { describeConformance, expectError } from './suite.js';
export type { ErrorShape, RunningServer, StartServer } from './suite.js';
export {
  CONFORMANCE_BODY_LIMIT,
  CONFORMANCE_FREE_LOGIN_ATTEMPTS,
  CONFORMANCE_ISSUER,
  CONFORMANCE_SECRET,
  createConformanceGateway,
  USERS,
} from './conformance-gateway.js';
export type { ConformanceGateway, ToolProbe } from './conformance-gateway.js';
export { conformancePlugin } from './conformance-plugin.js';
export type { PluginProbe } from './conformance-plugin.js';
export { getJson, postJson, rawRequest } from './http-client.js';
export type { RawRequest, RawResponse } from './http-client.js';
export { listenOnLoopback } from './listen.js';
export { serveConformanceGateway } from './served-gateway.js';
export type { ServedGateway } from './served-gateway.js';
export { login } from './sessions.js';
export type { Session } from './sessions.js';
export { connectSse } from './sse-client.js';
export type { ServerSentMessage, SseConnection } from './sse-client.js';
