import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types/index.js';
import Ajv2019 from 'ajv/dist/2019.js';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { CheckedInput } from '../errors/zod-issues.js';
import { formatIssuePath } from '../errors/zod-issues.js';
import type { ErrorIssue } from '../errors/index.js';
import { timeLimitedTest } from '../regex/index.js';
import type { JsonSchema } from './tool-registry.js';

/** Checks one call's args against a compiled JSON Schema; the args come back unchanged. */
export type ArgsValidator = (args: unknown) => CheckedInput<unknown>;

type Dialect = '2020-12' | '2019-09' | 'draft-07';

/**
 * `$schema` -> dialect. No `$schema` means 2020-12: the dialect MCP names as the default for tool
 * schemas, and the one zod writes. Older dialects still in the wild (draft-07 from
 * zod-to-json-schema, used by many MCP servers) get the Ajv class that speaks them, because a
 * 2020-12 validator reads their `items` arrays and `definitions` differently.
 */
function dialectOf(schema: JsonSchema): Dialect | undefined {
  const declared = schema.$schema;
  if (declared === undefined) return '2020-12';
  if (typeof declared !== 'string') return undefined;
  const uri = declared.replace(/^https?:\/\//, '').replace(/#$/, '');
  if (uri === 'json-schema.org/draft/2020-12/schema') return '2020-12';
  if (uri === 'json-schema.org/draft/2019-09/schema') return '2019-09';
  if (uri === 'json-schema.org/draft-07/schema') return 'draft-07';
  return undefined;
}

/** How much CPU time one `pattern` may take on one value before the args are refused instead. */
export const PATTERN_TIME_LIMIT_MS = 50;

// A schema's `pattern`s come from another program and run on what a caller sends, on a backtracking
// engine: each runs with a time limit (as the content filter's rules do). A match that runs out of
// time throws, and the args are refused.
const timeLimitedRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    const regex = new RegExp(pattern, flags);
    return {
      test: (input: string): boolean => timeLimitedTest(regex, input, PATTERN_TIME_LIMIT_MS),
      // Ajv caches compiled patterns by this string.
      toString: () => regex.toString(),
    };
  },
  { code: 'timeLimitedRegExp' },
);

type AjvInstance = InstanceType<typeof Ajv>;
const validators = new Map<Dialect, AjvInstance>();

function ajvFor(dialect: Dialect): AjvInstance {
  let ajv = validators.get(dialect);
  if (ajv === undefined) {
    const options = {
      // Every issue at once, as zod reports them, so a caller can fix all in one go.
      allErrors: true,
      // Schemas come from other programs (MCP servers) that use keywords of their own; an unknown
      // keyword is ignored, as the spec says, while a malformed known one still fails the meta-schema.
      strict: false,
      // Two tools may carry the same `$id`: each compiles on its own, none is added by id.
      addUsedSchema: false,
      logger: false as const,
      code: { regExp: timeLimitedRegExp },
    };
    ajv = dialect === '2020-12' ? new Ajv2020(options) : dialect === '2019-09' ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    validators.set(dialect, ajv);
  }
  return ajv;
}

/** Ajv's `/items/0/name` pointer as zod's path (`items[0].name`), so both kinds of tool read alike. */
function pathOf(error: ErrorObject): string {
  const segments: PropertyKey[] = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
  // The missing or extra property is the place to point at, as zod does.
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') segments.push(params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
  return formatIssuePath(segments);
}

function issuesOf(errors: readonly ErrorObject[] | null | undefined): ErrorIssue[] {
  if (errors === null || errors === undefined || errors.length === 0) return [{ path: '(root)', message: 'does not match the schema' }];
  return errors.map((error) => ({ path: pathOf(error), message: error.message ?? `fails ${error.keyword}` }));
}

/**
 * Compiles a tool's JSON Schema once, at registration. Throws a TypeError naming the tool for a
 * schema that is not JSON, names a dialect this gateway does not speak, breaks its meta-schema,
 * or refers to what it does not contain (a remote `$ref`): such a tool is refused, never
 * registered with a check that cannot work.
 */
export function compileArgsSchema(toolName: string, schema: unknown): { schema: JsonSchema; validate: ArgsValidator; release(): void } {
  const refuse = (why: string) => new TypeError(`tool ${JSON.stringify(toolName)}: inputSchema ${why}`);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw refuse('must be a JSON Schema object');
  let copy: AnySchemaObject;
  try {
    // A plain-JSON copy: what is listed and compiled can be neither changed later nor cyclic.
    copy = JSON.parse(JSON.stringify(schema)) as AnySchemaObject;
  } catch (error) {
    throw refuse(`is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const dialect = dialectOf(copy);
  if (dialect === undefined) throw refuse(`names a $schema this gateway does not validate (${JSON.stringify(copy.$schema)}); use 2020-12, 2019-09 or draft-07`);
  const ajv = ajvFor(dialect);
  let compiled: ValidateFunction;
  try {
    compiled = ajv.compile(copy);
  } catch (error) {
    throw refuse(`is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  const validate: ArgsValidator = (args) => {
    try {
      return compiled(args) ? { ok: true, data: args } : { ok: false, issues: issuesOf(compiled.errors) };
    } catch {
      // The args came from JSON; a throw here is a schema feature meeting a value it cannot check.
      return { ok: false, issues: [{ path: '(root)', message: 'holds a value that cannot be checked against the schema' }] };
    }
  };
  return { schema: deepFreeze(copy), validate, release: () => void ajv.removeSchema(copy) };
}

/** Freezes a plain-JSON value all the way down, so what is published cannot be changed later. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
