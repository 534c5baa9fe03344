/**
 * `@agent-gateway/mcp`: the gateway's tools to any MCP client, over Streamable HTTP, through the
 * whole pipeline. One plugin: `new Gateway({ plugins: [mcpPlugin()] })`.
 *
 * @module @agent-gateway/mcp
 */
export { mcpPlugin } from './mcp-plugin.js';
export type { McpPluginOptions } from './options.js';
// MCP upstreams: existing MCP servers behind the gateway, every call through the pipeline.
export { isMcpResult, loadUpstreamsFile, looksLikeCallToolResult, MCP_RESULT, mcpUpstream, mcpUpstreams, upstreamConfigSchema, UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnavailableError } from './upstreams/index.js';
export type { McpUpstreamsOptions, UpstreamConfig } from './upstreams/index.js';
