import { InvalidArgsError, type ErrorIssue } from '../errors/index.js';
import type { RegisteredTool } from '../tools/tool-registry.js';

export type ArgsCheck = { readonly ok: true; readonly args: unknown } | { readonly ok: false; readonly issues: ErrorIssue[] };

/**
 * The tool's schema applied to the args: the parsed (typed, defaulted) args of a zod tool, the args
 * as they are for a JSON Schema tool, or the issues.
 */
export function checkToolArgs(tool: RegisteredTool, args: unknown): ArgsCheck {
  const checked = tool.checkArgs(args);
  return checked.ok ? { ok: true, args: checked.data } : { ok: false, issues: checked.issues };
}

/** Step: the parsed args, or 422 with the schema's issues. */
export function validateArgs(tool: RegisteredTool, args: unknown): unknown {
  const check = checkToolArgs(tool, args);
  if (!check.ok) throw new InvalidArgsError(tool.name, check.issues);
  return check.args;
}
