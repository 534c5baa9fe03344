import type { z } from 'zod';
import { GatewayError, type ErrorIssue } from './gateway-error.js';

/** `['items', 0, 'name']` -> `items[0].name`; the empty path is `(root)`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** zod's issues as a short, readable list for the error body. */
export function issuesFromZod(error: Pick<z.ZodError, 'issues'>): ErrorIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}

export type CheckedInput<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly issues: ErrorIssue[] };

/**
 * What `checkInput` needs of a schema: zod 4's `safeParse`, as every copy of zod 4 has it (core's
 * own, or a host's other copy), so a host's zod 4 tools are checked the same way as core's routes.
 */
export interface SafeParsable<T> {
  safeParse(value: unknown): { readonly success: true; readonly data: T } | { readonly success: false; readonly error: Pick<z.ZodError, 'issues'> };
}

/** The issue of a value that zod could not check at all (it threw on the value and on its comparable copy). */
export function uncheckableInput(): CheckedInput<never> {
  return { ok: false, issues: [{ path: '(root)', message: 'holds a value that cannot be checked (an object where text, a number or a list was expected)' }] };
}

/** A prototype whose objects turn into NaN instead of throwing when zod compares them with a number. */
const COERCIBLE: object = Object.create(Object.prototype, { [Symbol.toPrimitive]: { value: () => Number.NaN } });

/** The value again, each plain object rebuilt on COERCIBLE. Only ever used to find zod's issues, never as data. */
function coercibleCopy(value: unknown, seen = new WeakMap<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    seen.set(value, items);
    for (const item of value) items.push(coercibleCopy(item, seen));
    return items;
  }
  const copy = Object.create(COERCIBLE) as Record<string, unknown>;
  seen.set(value, copy);
  for (const [key, child] of Object.entries(value)) {
    Object.defineProperty(copy, key, { value: coercibleCopy(child, seen), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/**
 * `schema.safeParse` for what a caller sent, which must never throw. zod 4 runs a string's or an
 * array's length checks on any value with a `length` and compares it with a number, so
 * `{"length":{"toString":null}}` (an object that cannot become a number) throws a TypeError from
 * inside zod. Such a throw is the input's fault: the value is checked again as a copy that can be
 * compared, for zod's own issues (with their paths), and refused. A GatewayError thrown on purpose
 * by a transform (a malformed origin) passes through unchanged.
 */
export function checkInput<T>(schema: SafeParsable<T>, value: unknown): CheckedInput<T> {
  return checkInputOrUndefined(schema, value) ?? uncheckableInput();
}

/**
 * `checkInput`, but `undefined` where it would refuse a value zod threw on even as a comparable
 * copy: that is also what a schema with an async refinement does in `safeParse`, so a tool's check
 * can then try the schema's async path before refusing.
 */
export function checkInputOrUndefined<T>(schema: SafeParsable<T>, value: unknown): CheckedInput<T> | undefined {
  const parse = (input: unknown) => {
    try {
      return schema.safeParse(input);
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return undefined;
    }
  };
  const parsed = parse(value);
  if (parsed?.success === true) return { ok: true, data: parsed.data };
  if (parsed !== undefined) return { ok: false, issues: issuesFromZod(parsed.error) };
  const again = parse(coercibleCopy(value));
  if (again?.success === false) {
    // The copy's objects still fail the size checks beside their type: only the type issue is true.
    const mistyped = new Set(again.error.issues.filter((i) => i.code === 'invalid_type').map((i) => formatIssuePath(i.path)));
    const issues = issuesFromZod(again.error).filter((issue, n) => {
      const code = again.error.issues[n]?.code;
      return !((code === 'too_big' || code === 'too_small') && mistyped.has(issue.path));
    });
    return { ok: false, issues };
  }
  return undefined;
}
