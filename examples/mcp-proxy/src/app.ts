// The gateway in front of MCP servers that already exist: their tools, every call through the pipeline.
import { fileURLToPath } from 'node:url';
import { configFromEnv, createGatewayFromConfig, type CreateGatewayOptions, type Gateway } from '@agent-gateway/core';
import { loadUpstreamsFile, mcpPlugin, mcpUpstreams } from '@agent-gateway/mcp';

/** The upstreams this example fronts unless MCP_UPSTREAMS_FILE names others: server-filesystem on ./scratch. */
export const DEFAULT_UPSTREAMS_FILE = fileURLToPath(new URL('../mcp-upstreams.json', import.meta.url));

/**
 * The gateway, not listening: `src/server.ts` listens on it, and tests build it in their own
 * process. It serves its tools at `/tools/call` and to MCP clients at `/mcp`; the upstreams' tools
 * are `<upstream>.<tool>` (`fs.read_text_file`, `fs.write_file`, ...).
 */
export async function buildApp(env: NodeJS.ProcessEnv = process.env, options: Pick<CreateGatewayOptions, 'logger'> = {}): Promise<Gateway> {
  const config = configFromEnv(env);
  const upstreams = loadUpstreamsFile(config.mcp.upstreamsFile ?? DEFAULT_UPSTREAMS_FILE);
  const plugins = [...(config.mcp.enabled ? [mcpPlugin()] : []), mcpUpstreams({ upstreams })];
  return createGatewayFromConfig(config, { ...options, plugins });
}
