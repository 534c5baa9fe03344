/**
 * `@agent-gateway/mcp`: the gateway's tools to any MCP client, over Streamable HTTP, through the
 * whole pipeline. One plugin: `new Gateway({ plugins: [mcpPlugin()] })`.
 */
export { mcpPlugin } from './mcp-plugin.js';
export type { McpPluginOptions } from './options.js';
