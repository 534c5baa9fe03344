import { isToolAllowed } from '../auth/tool-allow-list.js';
import { mayCallTools } from '../auth/roles.js';
import { ToolNotAllowedError } from '../errors/index.js';
import type { RegisteredTool } from '../tools/tool-registry.js';
import type { Caller } from './caller.js';

/**
 * Step: may this user call this tool? Their role must be one that calls tools, and the tool must
 * be on their allow-list if they have one. In-process callers (host code, system parts) are trusted.
 */
export function authorizeTool(caller: Caller, tool: RegisteredTool): void {
  if (caller.kind !== 'user') return;
  if (caller.role === undefined || !mayCallTools(caller.role)) {
    throw new ToolNotAllowedError(tool.name, `the ${caller.role ?? 'unknown'} role does not call tools`);
  }
  if (!isToolAllowed(caller.allowedTools, tool.name)) {
    throw new ToolNotAllowedError(tool.name, 'it is not on your allow-list');
  }
}
