import { z } from 'zod';

/** A tool name, or a glob over tool names where `*` stands for any run of characters (`file.*`, `*`). */
export const toolPatternSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.*-]+$/, 'expected a tool name or a glob such as file.*');

const compiled = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  // Stryker disable next-line ConditionalExpression: equivalent, compiling again gives the same expression; the cache saves the work
  if (regex === undefined) {
    const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*');
    regex = new RegExp(`^${source}$`);
    compiled.set(pattern, regex);
  }
  return regex;
}

/**
 * Whether `tool` is on the allow-list. `undefined` means the user has no list (every tool);
 * an empty list allows none.
 */
export function isToolAllowed(allowList: readonly string[] | undefined, tool: string): boolean {
  if (allowList === undefined) return true;
  return allowList.some((pattern) => toRegExp(pattern).test(tool));
}
