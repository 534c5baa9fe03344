import type { StandardSchemaV1 } from '@standard-schema/spec';
import { roleSchema, type Role } from '../auth/roles.js';
import type { Caller } from '../pipeline/caller.js';
import { compileArgsSchema } from './json-schema-args.js';
import type { AnyToolDefinition, JsonSchemaToolDefinition, SandboxRunner, ToolContext, ToolDefinition, ToolHints } from './tool-definition.js';
import { argsCheckOf, hasStandardProps, isStandardSchema, publishedJsonSchema, type ArgsCheckResult } from './tool-schema.js';

/** A JSON Schema document, as a schema library writes it or an MCP server publishes it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One entry of `GET /tools`. */
export interface ToolListing {
  readonly name: string;
  readonly description: string;
  readonly requires_approval: boolean | 'per_call';
  readonly args_schema: JsonSchema;
  /** The JSON Schema of the result, when the tool declares one (`output`). */
  readonly result_schema?: JsonSchema;
  /** What the tool says about itself (`hints`), when it says anything. */
  readonly hints?: ToolHints;
  /** The only roles that may call it, when the tool is limited (`roles`). */
  readonly roles?: readonly Role[];
}

/**
 * A registered tool with its schema erased to `unknown`: the registry holds tools of many
 * shapes, and every call re-enters the typed world through `checkArgs`.
 */
export interface RegisteredTool {
  readonly name: string;
  readonly description: string;
  /** The Standard Schema of the args; `undefined` for a tool declared with a JSON Schema (`inputSchema`). */
  readonly args: StandardSchemaV1 | undefined;
  /**
   * The tool's schema applied to a call's args: the parsed args (the schema's output, or the args as
   * they are for a JSON Schema tool) or the issues. A Promise only when the schema checks
   * asynchronously (an async refinement); otherwise the result itself.
   */
  checkArgs(args: unknown): ArgsCheckResult;
  readonly listing: ToolListing;
  /** Whether this call waits for a person: the tool's `requiresApproval`, applied to the args and caller. */
  needsApproval(args: unknown, caller: Caller): boolean;
  /** The provider keys the tool declared. */
  readonly secrets: readonly string[];
  /** The tool's labels, for policies (none when absent). */
  readonly tags?: readonly string[];
  /** The MCP upstream it comes from, for policies. */
  readonly upstream?: string;
  /** How the call runs: in this process, or in a sandbox. */
  readonly runner:
    | {
        readonly kind: 'in-process';
        /** Runs the tool's own function with the checked args. */
        run(args: unknown, context: ToolContext): Promise<unknown>;
      }
    | { readonly kind: 'sandbox'; readonly spec: SandboxRunner };
}

const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const MAX_TOOL_NAME_LENGTH = 128;

function hintsOf(hints: ToolHints | undefined): ToolHints | undefined {
  if (hints === undefined) return undefined;
  const { title, readOnly, idempotent, openWorld } = hints;
  const copy = {
    ...(title === undefined ? {} : { title: String(title) }),
    ...(readOnly === undefined ? {} : { readOnly: readOnly === true }),
    ...(idempotent === undefined ? {} : { idempotent: idempotent === true }),
    ...(openWorld === undefined ? {} : { openWorld: openWorld === true }),
  };
  return Object.keys(copy).length === 0 ? undefined : Object.freeze(copy);
}

type ArgsOf = Pick<RegisteredTool, 'args' | 'checkArgs'> & { readonly schema: JsonSchema; readonly release?: () => void };

/** A Standard Schema tool's schema and check, or a JSON Schema tool's compiled one. */
function argsOf(definition: AnyToolDefinition): ArgsOf {
  const name = JSON.stringify(definition.name);
  if ('inputSchema' in definition) {
    if (definition.args !== undefined) throw new TypeError(`tool ${name}: give args (a schema) or inputSchema (JSON Schema), not both`);
    const compiled = compileArgsSchema(definition.name, definition.inputSchema);
    return { args: undefined, checkArgs: compiled.validate, schema: compiled.schema, release: compiled.release };
  }
  const schema: unknown = definition.args;
  if (!isStandardSchema(schema)) {
    throw new TypeError(`tool ${name}: args must be a Standard Schema (zod 3.24+ or 4, valibot, arktype, ...) or give inputSchema, a JSON Schema`);
  }
  // Input mode for args: the schema describes what a caller sends, before transforms and defaults.
  const published = publishedJsonSchema(definition.name, { schema, field: 'args', explicit: definition.jsonSchema, explicitField: 'jsonSchema' });
  return { args: schema, checkArgs: argsCheckOf(schema), schema: published };
}

/** The result's JSON Schema, when the tool declares one (`output` or `outputJsonSchema`). */
function resultSchemaOf(definition: AnyToolDefinition): JsonSchema | undefined {
  const { output, outputJsonSchema } = definition;
  if (output === undefined && outputJsonSchema === undefined) return undefined;
  if (output !== undefined && !hasStandardProps(output)) {
    throw new TypeError(`tool ${JSON.stringify(definition.name)}: output must be a Standard Schema (zod, valibot, arktype, ...) or give outputJsonSchema`);
  }
  return publishedJsonSchema(definition.name, { schema: output, field: 'output', explicit: outputJsonSchema, explicitField: 'outputJsonSchema' });
}

function rolesOf(name: string, roles: readonly Role[] | undefined): readonly Role[] | undefined {
  if (roles === undefined) return undefined;
  const parsed = roleSchema.array().min(1).safeParse(roles);
  if (!parsed.success) throw new TypeError(`tool ${JSON.stringify(name)}: roles must be a non-empty list of ${roleSchema.options.join(', ')}`);
  return Object.freeze([...new Set(parsed.data)]);
}

function runnerOf(definition: AnyToolDefinition): RegisteredTool['runner'] {
  const { run } = definition;
  if (typeof run === 'function') {
    // The args reaching here have passed the tool's schema, so they have its output type.
    return { kind: 'in-process', run: async (args, context) => run(args, context) };
  }
  if (run !== null && typeof run === 'object' && (run.sandbox === 'pool' || run.sandbox === 'docker')) return { kind: 'sandbox', spec: run };
  throw new TypeError(`tool ${JSON.stringify(definition.name)}: run must be a function or a sandbox runner`);
}

/** Holds the tools of one gateway. Names are unique; the JSON Schemas are built once, at registration. */
export class ToolRegistry {
  readonly #tools = new Map<string, RegisteredTool>();
  /** Frees what a JSON Schema tool's compiled check holds, when it is unregistered. */
  readonly #releases = new Map<string, () => void>();
  #listings: readonly ToolListing[] | undefined;

  /**
   * Adds a tool; a name taken already, or a schema that publishes no JSON Schema, is refused with a
   * `TypeError`.
   */
  register<Schema extends StandardSchemaV1, Result>(definition: ToolDefinition<Schema, Result>): RegisteredTool;
  register<Result>(definition: JsonSchemaToolDefinition<Result>): RegisteredTool;
  register(definition: AnyToolDefinition): RegisteredTool;
  register(definition: AnyToolDefinition): RegisteredTool {
    const { name } = definition;
    if (typeof name !== 'string' || name.length > MAX_TOOL_NAME_LENGTH || !TOOL_NAME.test(name)) {
      throw new TypeError(
        `invalid tool name ${JSON.stringify(name)}: use letters, digits, _ and -, dot-separated, starting with a letter`,
      );
    }
    if (this.#tools.has(name)) throw new TypeError(`a tool named ${JSON.stringify(name)} is already registered`);
    const policy = definition.requiresApproval ?? false;
    const hints = hintsOf(definition.hints);
    const args = argsOf(definition);
    const resultSchema = resultSchemaOf(definition);
    const roles = rolesOf(name, definition.roles);
    const tool: RegisteredTool = {
      name,
      description: definition.description,
      args: args.args,
      checkArgs: args.checkArgs,
      listing: Object.freeze({
        name,
        description: definition.description,
        requires_approval: typeof policy === 'function' ? 'per_call' : policy,
        args_schema: args.schema,
        // Present only when declared, so the listing of a plain tool stays as it was.
        ...(resultSchema === undefined ? {} : { result_schema: resultSchema }),
        ...(hints === undefined ? {} : { hints }),
        ...(roles === undefined ? {} : { roles }),
      }),
      // The args reaching here have passed the tool's schema, so they have its output type.
      needsApproval: (args, caller) => (typeof policy === 'function' ? policy(args, caller) : policy),
      runner: runnerOf(definition),
      secrets: Object.freeze([...(definition.secrets ?? [])]),
      ...(definition.tags === undefined ? {} : { tags: Object.freeze([...definition.tags]) }),
      ...(definition.upstream === undefined ? {} : { upstream: definition.upstream }),
    };
    this.#tools.set(name, tool);
    if (args.release !== undefined) this.#releases.set(name, args.release);
    this.#listings = undefined;
    return tool;
  }

  /**
   * Takes a tool out (an MCP upstream's tool that its server no longer lists). Calls already
   * running finish; new ones get 404. `false` when there was no such tool.
   */
  unregister(name: string): boolean {
    if (!this.#tools.delete(name)) return false;
    this.#releases.get(name)?.();
    this.#releases.delete(name);
    this.#listings = undefined;
    return true;
  }

  /** The tool of this name, or undefined. */
  get(name: string): RegisteredTool | undefined {
    return this.#tools.get(name);
  }

  /** Whether a tool of this name is registered. */
  has(name: string): boolean {
    return this.#tools.has(name);
  }

  get size(): number {
    return this.#tools.size;
  }

  /** The listing of `GET /tools`, sorted by name. */
  list(): readonly ToolListing[] {
    this.#listings ??= Object.freeze(
      [...this.#tools.values()].map((tool) => tool.listing).sort((a, b) => a.name.localeCompare(b.name)),
    );
    return this.#listings;
  }
}
