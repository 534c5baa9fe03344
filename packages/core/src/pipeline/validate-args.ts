import { InvalidArgsError, type ErrorIssue } from '../errors/index.js';
import type { CheckedInput } from '../errors/zod-issues.js';
import type { RegisteredTool } from '../tools/tool-registry.js';

/** The outcome of checking args against a tool's schema: the args as parsed, or the issues. */
export type ArgsCheck = { readonly ok: true; readonly args: unknown } | { readonly ok: false; readonly issues: ErrorIssue[] };

function argsCheckOf(checked: CheckedInput<unknown>): ArgsCheck {
  return checked.ok ? { ok: true, args: checked.data } : { ok: false, issues: checked.issues };
}

/**
 * The tool's schema applied to the args: the parsed (typed, defaulted) args of a schema tool, the
 * args as they are for a JSON Schema tool, or the issues. Always a Promise, since a Standard Schema
 * may check asynchronously; the pipeline itself uses the sync result when there is one.
 */
export async function checkToolArgs(tool: RegisteredTool, args: unknown): Promise<ArgsCheck> {
  return argsCheckOf(await tool.checkArgs(args));
}

/** Step: the parsed args of a call whose check has settled, or 422 with the schema's issues. */
export function validArgs(tool: RegisteredTool, checked: CheckedInput<unknown>): unknown {
  if (!checked.ok) throw new InvalidArgsError(tool.name, checked.issues);
  return checked.data;
}

/** `validArgs` for a caller that may wait (task creation): the check settled first. */
export async function validateArgs(tool: RegisteredTool, args: unknown): Promise<unknown> {
  return validArgs(tool, await tool.checkArgs(args));
}
