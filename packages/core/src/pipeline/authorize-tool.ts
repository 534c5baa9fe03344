import { isToolAllowed } from '../auth/tool-allow-list.js';
import { mayCallTools } from '../auth/roles.js';
import { ToolNotAllowedError } from '../errors/index.js';
import type { RegisteredTool, ToolListing } from '../tools/tool-registry.js';
import type { Caller } from './caller.js';

/** Why `caller` may not call the tool, or `undefined` when they may. */
function refusalOf(caller: Caller, tool: Pick<ToolListing, 'name' | 'roles'>): string | undefined {
  if (caller.kind !== 'user') return undefined;
  if (caller.role === undefined || !mayCallTools(caller.role)) return `the ${caller.role ?? 'unknown'} role does not call tools`;
  if (tool.roles !== undefined && !tool.roles.includes(caller.role)) return `the tool is for ${tool.roles.join(' and ')} only`;
  if (!isToolAllowed(caller.allowedTools, tool.name)) return 'it is not on your allow-list';
  return undefined;
}

/**
 * Step: may this user call this tool? Their role must be one that calls tools, and the tool must
 * be on their allow-list if they have one. In-process callers (host code, system parts) are trusted.
 */
export function authorizeTool(caller: Caller, tool: RegisteredTool): void {
  const refusal = refusalOf(caller, tool.listing);
  if (refusal !== undefined) throw new ToolNotAllowedError(tool.name, refusal);
}

/**
 * The same decision as a question, for what shows a caller their tools (the MCP endpoint's
 * `tools/list`): a tool this says no to would be refused by the pipeline. Pass the listing, so that
 * a tool limited to some roles (`roles`) is checked as the pipeline checks it; a bare name is
 * checked for role and allow-list only.
 */
export function mayCallTool(caller: Caller, tool: string | Pick<ToolListing, 'name' | 'roles'>): boolean {
  return refusalOf(caller, typeof tool === 'string' ? { name: tool } : tool) === undefined;
}
