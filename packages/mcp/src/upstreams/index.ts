export { mcpUpstreams } from './mcp-upstreams.js';
export type { McpUpstreamsOptions } from './mcp-upstreams.js';
export { mcpUpstream, upstreamConfigSchema } from './upstream-options.js';
export { loadUpstreamsFile } from './upstreams-file.js';
export type { UpstreamConfig } from './upstream-options.js';
export { isMcpResult, looksLikeCallToolResult, MCP_RESULT } from './mcp-result.js';
export { UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstream-errors.js';
