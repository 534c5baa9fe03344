import { z } from 'zod';
import { checkInput, type CheckedInput } from '../errors/zod-issues.js';
import { roleSchema, type Role } from '../auth/roles.js';
import type { Caller } from '../pipeline/caller.js';
import { compileArgsSchema } from './json-schema-args.js';
import type { AnyToolDefinition, JsonSchemaToolDefinition, SandboxRunner, ToolContext, ToolDefinition, ToolHints } from './tool-definition.js';

/** A JSON Schema document, as `z.toJSONSchema` produces it or an MCP server publishes it. */
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
 * shapes, and every call re-enters the typed world through `args.safeParse`.
 */
export interface RegisteredTool {
  readonly name: string;
  readonly description: string;
  /** The zod schema; `undefined` for a tool declared with a JSON Schema (`inputSchema`). */
  readonly args: z.ZodType | undefined;
  /** The tool's schema applied to a call's args: the parsed args (zod's output, or the args as they are) or the issues. */
  checkArgs(args: unknown): CheckedInput<unknown>;
  readonly listing: ToolListing;
  needsApproval(args: unknown, caller: Caller): boolean;
  /** The provider keys the tool declared. */
  readonly secrets: readonly string[];
  /** How the call runs: in this process, or in a sandbox. */
  readonly runner: { readonly kind: 'in-process'; run(args: unknown, context: ToolContext): Promise<unknown> } | { readonly kind: 'sandbox'; readonly spec: SandboxRunner };
}

const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const MAX_TOOL_NAME_LENGTH = 128;

function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  // Input mode for args: the schema describes what a caller sends, before transforms and defaults.
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
}

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

/** A zod tool's schema and check, or a JSON Schema tool's compiled one. */
function argsOf(definition: AnyToolDefinition): ArgsOf {
  const name = JSON.stringify(definition.name);
  if ('inputSchema' in definition) {
    if (definition.args !== undefined) throw new TypeError(`tool ${name}: give args (zod) or inputSchema (JSON Schema), not both`);
    const compiled = compileArgsSchema(definition.name, definition.inputSchema);
    return { args: undefined, checkArgs: compiled.validate, schema: compiled.schema, release: compiled.release };
  }
  const schema: unknown = definition.args;
  if (!(schema instanceof z.ZodType)) throw new TypeError(`tool ${name}: args must be a zod schema (or give inputSchema, a JSON Schema)`);
  return { args: schema, checkArgs: (args) => checkInput(schema, args), schema: jsonSchemaOf(schema) };
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

  register<Schema extends z.ZodType, Result>(definition: ToolDefinition<Schema, Result>): RegisteredTool;
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
    if (definition.output !== undefined && !(definition.output instanceof z.ZodType)) {
      throw new TypeError(`tool ${JSON.stringify(name)}: output must be a zod schema`);
    }
    const policy = definition.requiresApproval ?? false;
    const hints = hintsOf(definition.hints);
    const args = argsOf(definition);
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
        ...(definition.output === undefined ? {} : { result_schema: jsonSchemaOf(definition.output, 'output') }),
        ...(hints === undefined ? {} : { hints }),
        ...(roles === undefined ? {} : { roles }),
      }),
      // The args reaching here have passed the tool's schema, so they have its output type.
      needsApproval: (args, caller) => (typeof policy === 'function' ? policy(args, caller) : policy),
      runner: runnerOf(definition),
      secrets: Object.freeze([...(definition.secrets ?? [])]),
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

  get(name: string): RegisteredTool | undefined {
    return this.#tools.get(name);
  }

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
