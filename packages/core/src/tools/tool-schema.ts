import type { StandardJSONSchemaV1, StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';
import { isGatewayError, type ErrorIssue } from '../errors/gateway-error.js';
import { checkInputOrUndefined, formatIssuePath, uncheckableInput, type CheckedInput, type SafeParsable } from '../errors/zod-issues.js';
import { deepFreeze } from './json-schema-args.js';
import type { JsonSchema } from './tool-registry.js';

/**
 * One call's args checked against a tool's schema: the result itself when the schema checks
 * synchronously (every zod, valibot or arktype schema without an async refinement), a Promise of
 * it only for a schema that checks asynchronously, so a plain call pays for no extra tick.
 */
export type ArgsCheckResult = CheckedInput<unknown> | Promise<CheckedInput<unknown>>;

/** A schema that can describe itself as JSON Schema (Standard JSON Schema), with or without a check. */
export type DescribedSchema = StandardSchemaV1 | StandardJSONSchemaV1;

/** Whether `value` carries Standard Schema's `~standard` properties with a `validate` to call. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null || !('~standard' in value)) return false;
  const standard: unknown = value['~standard'];
  return typeof standard === 'object' && standard !== null && 'validate' in standard && typeof standard.validate === 'function';
}

/** Whether `value` carries `~standard` at all: enough for a result schema, which is only described. */
export function hasStandardProps(value: unknown): value is DescribedSchema {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && '~standard' in value && typeof value['~standard'] === 'object';
}

/**
 * A zod 4 schema of the classic API from any copy of zod 4 (core's own, or a host's other install):
 * they all have `_zod` and `safeParse`. zod 3 schemas have neither `_zod` nor its internals.
 */
function isZod4(schema: object): schema is SafeParsable<unknown> & DescribedSchema {
  return '_zod' in schema && 'safeParse' in schema && typeof schema.safeParse === 'function';
}

/** Standard Schema's issues (paths of keys or `{key}` segments) in the gateway's issue shape. */
function issuesOf(issues: readonly StandardSchemaV1.Issue[]): ErrorIssue[] {
  if (issues.length === 0) return [{ path: '(root)', message: 'does not match the schema' }];
  return issues.map((issue) => ({
    path: formatIssuePath((issue.path ?? []).map((segment) => (typeof segment === 'object' && segment !== null ? segment.key : segment))),
    message: String(issue.message),
  }));
}

function checkedOf(result: StandardSchemaV1.Result<unknown>): CheckedInput<unknown> {
  // The spec's own test: issues present means failure.
  return result.issues ? { ok: false, issues: issuesOf(result.issues) } : { ok: true, data: result.value };
}

/**
 * What a validator threw is the input's doing (as zod's throws on uncomparable values are), unless
 * it is a GatewayError thrown on purpose (a refinement that cannot reach its store answers 503).
 */
function refusedOnThrow(error: unknown): CheckedInput<never> {
  if (isGatewayError(error)) throw error;
  return uncheckableInput();
}

function settled(pending: Promise<StandardSchemaV1.Result<unknown>>): Promise<CheckedInput<unknown>> {
  return pending.then(checkedOf, refusedOnThrow);
}

/**
 * The check of a tool's args, built once at registration. A zod 4 schema (of any copy) is checked
 * as core's own routes are (`checkInput`: sync, and safe against values zod throws on), with its
 * Standard Schema path as the fallback for an async refinement; any other Standard Schema (zod 3,
 * valibot, arktype...) through `~standard.validate`, whose result is used as it comes when it is
 * not a Promise.
 */
export function argsCheckOf(schema: StandardSchemaV1): (args: unknown) => ArgsCheckResult {
  // Read once: zod defines it lazily, and the call path should not go through a getter.
  const standard = schema['~standard'];
  if (isZod4(schema)) {
    return (args) => {
      const checked = checkInputOrUndefined(schema, args);
      if (checked !== undefined) return checked;
      // zod threw on the value and on its comparable copy: an async refinement does that too.
      let result: ReturnType<typeof standard.validate>;
      try {
        result = standard.validate(args);
      } catch (error) {
        return refusedOnThrow(error);
      }
      return result instanceof Promise ? settled(result) : uncheckableInput();
    };
  }
  return (args) => {
    let result: ReturnType<typeof standard.validate>;
    try {
      result = standard.validate(args);
    } catch (error) {
      return refusedOnThrow(error);
    }
    return result instanceof Promise ? settled(result) : checkedOf(result);
  };
}

/** JSON Schema's dialect for what the gateway publishes: the one MCP names as the default. */
const TARGET: StandardJSONSchemaV1.Target = 'draft-2020-12';

/**
 * The JSON Schema a schema gives of itself, `undefined` when it cannot: core's zod 4 through
 * `z.toJSONSchema` (as before Standard Schema), a schema with Standard JSON Schema (zod 4.2+,
 * valibot through `toStandardJsonSchema`, arktype) through its converter, another copy of zod 4
 * without it through core's converter. `io`: what a caller sends (`input`: before defaults and
 * transforms) or what comes back (`output`).
 */
function derivedJsonSchema(schema: DescribedSchema, io: 'input' | 'output'): JsonSchema | undefined {
  // zod: a type it cannot write (a date, a transform's output) becomes "any" rather than an error.
  if (schema instanceof z.ZodType) return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  const standard: Partial<StandardJSONSchemaV1.Props> = schema['~standard'];
  const converter = standard.jsonSchema?.[io];
  if (typeof converter === 'function') {
    return converter({ target: TARGET, ...(standard.vendor === 'zod' ? { libraryOptions: { unrepresentable: 'any' } } : {}) });
  }
  // Another copy of zod 4 older than 4.2: core's converter reads only `_zod`, which every copy has.
  if (isZod4(schema)) return z.toJSONSchema(schema as unknown as z.ZodType, { io, unrepresentable: 'any' }) as JsonSchema;
  return undefined;
}

/** How to give a JSON Schema for a schema that cannot write its own, by the library it came from. */
function remedyFor(vendor: unknown): string {
  if (vendor === 'zod') return ' (zod 3: `zodToJsonSchema(schema)` from zod-to-json-schema, or move to zod 4)';
  if (vendor === 'valibot') return ' (valibot: wrap the schema in `toStandardJsonSchema` from @valibot/to-json-schema)';
  return '';
}

/**
 * The JSON Schema `GET /tools`, the OpenAPI document and MCP publish for a tool's args or result:
 * the one given explicitly (`jsonSchema`, `outputJsonSchema`) as a frozen plain-JSON copy, else
 * the one the schema gives of itself. Throws a TypeError naming the tool when there is neither, so
 * a tool is never listed with a schema that says nothing.
 */
export function publishedJsonSchema(
  toolName: string,
  what: { readonly schema: DescribedSchema | undefined; readonly field: 'args' | 'output'; readonly explicit: unknown; readonly explicitField: string },
): JsonSchema {
  const tool = `tool ${JSON.stringify(toolName)}`;
  if (what.explicit !== undefined) {
    if (what.explicit === null || typeof what.explicit !== 'object' || Array.isArray(what.explicit)) {
      throw new TypeError(`${tool}: ${what.explicitField} must be a JSON Schema object`);
    }
    try {
      return deepFreeze(JSON.parse(JSON.stringify(what.explicit)) as JsonSchema);
    } catch (error) {
      throw new TypeError(`${tool}: ${what.explicitField} is not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (what.schema === undefined) throw new TypeError(`${tool}: give ${what.field} or ${what.explicitField}`);
  const io = what.field === 'args' ? 'input' : 'output';
  let derived: JsonSchema | undefined;
  try {
    derived = derivedJsonSchema(what.schema, io);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TypeError(`${tool}: the ${what.field} schema could not be written as JSON Schema (${why}); give it as ${what.explicitField}`);
  }
  if (derived === undefined) {
    const vendor = what.schema['~standard'].vendor;
    throw new TypeError(
      `${tool}: the ${what.field} schema (${String(vendor)}) cannot write its own JSON Schema; give it as ${what.explicitField}${remedyFor(vendor)}`,
    );
  }
  return derived;
}
