import { ServiceUnavailableError } from '../errors/index.js';
import type { RegisteredTool } from '../tools/tool-registry.js';
import type { Caller } from './caller.js';

/**
 * Step: a call that needs human approval must never run without it. Until an approval queue is
 * part of the gateway, such calls are refused (fail closed) rather than run unapproved.
 */
export function approvalGate(tool: RegisteredTool, args: unknown, caller: Caller): void {
  if (tool.needsApproval(args, caller)) {
    throw new ServiceUnavailableError(
      'approval_unavailable',
      `tool ${JSON.stringify(tool.name)} needs human approval, and this gateway has no approval queue`,
    );
  }
}
