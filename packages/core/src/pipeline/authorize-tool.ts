import { isToolAllowed } from '../auth/tool-allow-list.js';
import { mayCallTools } from '../auth/roles.js';
import { ToolNotAllowedError } from '../errors/index.js';
import type { RegisteredTool } from '../tools/tool-registry.js';
import type { Caller } from './caller.js';

/** Why `caller` may not call the tool named `toolName`, or `undefined` when they may. */
function refusalOf(caller: Caller, toolName: string): string | undefined {
  if (caller.kind !== 'user') return undefined;
  if (caller.role === undefined || !mayCallTools(caller.role)) return `the ${caller.role ?? 'unknown'} role does not call tools`;
  if (!isToolAllowed(caller.allowedTools, toolName)) return 'it is not on your allow-list';
  return undefined;
}

/**
 * Step: may this user call this tool? Their role must be one that calls tools, and the tool must
 * be on their allow-list if they have one. In-process callers (host code, system parts) are trusted.
 */
export function authorizeTool(caller: Caller, tool: RegisteredTool): void {
  const refusal = refusalOf(caller, tool.name);
  if (refusal !== undefined) throw new ToolNotAllowedError(tool.name, refusal);
}

/**
 * The same decision as a question, for what shows a caller their tools (the MCP endpoint's
 * `tools/list`): a tool this says no to would be refused by the pipeline.
 */
export function mayCallTool(caller: Caller, toolName: string): boolean {
  return refusalOf(caller, toolName) === undefined;
}
