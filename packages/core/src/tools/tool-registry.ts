import { z } from 'zod';
import type { Caller } from '../pipeline/caller.js';
import type { SandboxRunner, ToolContext, ToolDefinition, ToolHints } from './tool-definition.js';

/** A JSON Schema document as `z.toJSONSchema` produces it. */
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
}

/**
 * A registered tool with its schema erased to `unknown`: the registry holds tools of many
 * shapes, and every call re-enters the typed world through `args.safeParse`.
 */
export interface RegisteredTool {
  readonly name: string;
  readonly description: string;
  readonly args: z.ZodType;
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

function runnerOf<Schema extends z.ZodType, Result>(definition: ToolDefinition<Schema, Result>): RegisteredTool['runner'] {
  const { run } = definition;
  if (typeof run === 'function') {
    // The args reaching here have passed `definition.args`, so they have its output type.
    return { kind: 'in-process', run: async (args, context) => run(args as z.output<Schema>, context) };
  }
  if (run !== null && typeof run === 'object' && (run.sandbox === 'pool' || run.sandbox === 'docker')) return { kind: 'sandbox', spec: run };
  throw new TypeError(`tool ${JSON.stringify(definition.name)}: run must be a function or a sandbox runner`);
}

/** Holds the tools of one gateway. Names are unique; the JSON Schemas are built once, at registration. */
export class ToolRegistry {
  readonly #tools = new Map<string, RegisteredTool>();
  #listings: readonly ToolListing[] | undefined;

  register<Schema extends z.ZodType, Result>(definition: ToolDefinition<Schema, Result>): RegisteredTool {
    const { name } = definition;
    if (typeof name !== 'string' || name.length > MAX_TOOL_NAME_LENGTH || !TOOL_NAME.test(name)) {
      throw new TypeError(
        `invalid tool name ${JSON.stringify(name)}: use letters, digits, _ and -, dot-separated, starting with a letter`,
      );
    }
    if (this.#tools.has(name)) throw new TypeError(`a tool named ${JSON.stringify(name)} is already registered`);
    if (!(definition.args instanceof z.ZodType)) {
      throw new TypeError(`tool ${JSON.stringify(name)}: args must be a zod schema`);
    }

    if (definition.output !== undefined && !(definition.output instanceof z.ZodType)) {
      throw new TypeError(`tool ${JSON.stringify(name)}: output must be a zod schema`);
    }
    const policy = definition.requiresApproval ?? false;
    const hints = hintsOf(definition.hints);
    const tool: RegisteredTool = {
      name,
      description: definition.description,
      args: definition.args,
      listing: Object.freeze({
        name,
        description: definition.description,
        requires_approval: typeof policy === 'function' ? 'per_call' : policy,
        args_schema: jsonSchemaOf(definition.args),
        // Present only when declared, so the listing of a plain tool stays as it was.
        ...(definition.output === undefined ? {} : { result_schema: jsonSchemaOf(definition.output, 'output') }),
        ...(hints === undefined ? {} : { hints }),
      }),
      // The args reaching here have passed `definition.args`, so they have its output type.
      needsApproval: (args, caller) =>
        typeof policy === 'function' ? policy(args as z.output<Schema>, caller) : policy,
      runner: runnerOf(definition),
      secrets: Object.freeze([...(definition.secrets ?? [])]),
    };
    this.#tools.set(name, tool);
    this.#listings = undefined;
    return tool;
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
