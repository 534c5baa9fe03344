import type { RegisteredTool } from '../tools/tool-registry.js';
import type { Caller } from './caller.js';

/** Step: does this call, with these args from this caller, need a person's approval before it runs? */
export function needsApproval(tool: RegisteredTool, args: unknown, caller: Caller): boolean {
  return tool.needsApproval(args, caller);
}
