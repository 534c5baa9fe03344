import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Role } from '../auth/roles.js';
import type { Caller } from '../pipeline/caller.js';
import type { SecretAccessor } from '../secrets/secret-store.js';
import type { JsonSchema } from './tool-registry.js';
import type { DescribedSchema } from './tool-schema.js';

/**
 * How far a run has got, as MCP's progress notification has it (without the token): `progress`
 * grows with each report, `total` when the end is known.
 */
export interface ToolProgress {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

/** What a tool's `run` gets besides its args. */
export interface ToolContext {
  /** Unique per call; the same id appears in events, logs and (later) the audit log. */
  readonly callId: string;
  readonly caller: Caller;
  /** Aborted when the caller goes away or the gateway closes: stop work and return. */
  readonly signal: AbortSignal;
  /** Provider keys, limited to the names the tool declared in `secrets`. */
  readonly secrets: SecretAccessor;
  /**
   * Tells the caller how far the run has got, when it listens (`ToolCallOptions.onProgress`: an MCP
   * client that sent a progress token); otherwise it does nothing. It never throws, and reports
   * made after `run` has settled are dropped.
   */
  reportProgress(progress: ToolProgress): void;
}

/** A risk decided per call: `true` holds the call for human approval. */
export type ApprovalPolicy<Args> = boolean | ((args: Args, caller: Caller) => boolean);

/**
 * A runner that is not trusted code in this process: the call goes to the sandbox pool (`action`
 * `run` sends `{tool, args}` to the bundled worker, which loads `<toolsDir>/<tool>.mjs`; any other
 * action sends the args as they are) or to a fresh Docker container.
 */
export type SandboxRunner =
  | { readonly sandbox: 'pool'; readonly action: string; readonly timeoutMs?: number }
  | { readonly sandbox: 'docker'; readonly command: readonly string[]; readonly image?: string; readonly timeoutMs?: number };

/** Trusted code run in-process. */
export type InProcessRunner<Args, Result> = (args: Args, context: ToolContext) => Result | Promise<Result>;

/**
 * Hints about what a tool does, for clients that decide what to show a person (the MCP endpoint
 * publishes them as MCP tool annotations). They never change how the gateway runs the call: a tool
 * is held for approval by `requiresApproval`, not by a hint.
 */
export interface ToolHints {
  /** A short display name. */
  readonly title?: string;
  /** The tool only reads: it changes nothing anywhere. */
  readonly readOnly?: boolean;
  /** Calling it twice with the same args has no further effect. */
  readonly idempotent?: boolean;
  /** It reaches things outside the gateway's own world (the web, other services). */
  readonly openWorld?: boolean;
}

/**
 * A tool as its author writes it. `args` is any Standard Schema (zod 3.24+ or 4, valibot, arktype,
 * ...; whatever has `~standard`): it validates every call, types `run`'s args, and is published as
 * JSON Schema by `GET /tools`, the OpenAPI document and MCP, written by the schema itself where its
 * library can (zod 4, Standard JSON Schema) or given as `jsonSchema`.
 */
export interface ToolDefinition<Schema extends StandardSchemaV1 = StandardSchemaV1, Result = unknown> {
  /** Letters, digits and `. _ -`, starting with a letter; dots group tools (`file.write`). */
  readonly name: string;
  readonly description: string;
  readonly args: Schema;
  /**
   * The JSON Schema of the args, for a schema that cannot write its own (zod 3: `zodToJsonSchema`
   * from zod-to-json-schema) or to publish another than it writes. Published as given; calls are
   * still checked by `args`.
   */
  readonly jsonSchema?: JsonSchema;
  readonly requiresApproval?: ApprovalPolicy<StandardSchemaV1.InferOutput<Schema>>;
  /**
   * The shape of what `run` returns, when it is a JSON object: published as the tool's result schema
   * (MCP `outputSchema`), so clients can read the result as structured data. It describes the
   * result; it does not check it. Any Standard Schema that can write its JSON Schema, or give
   * that as `outputJsonSchema`.
   */
  readonly output?: DescribedSchema;
  /** The result's JSON Schema, given as it is (instead of `output`'s, or without `output`). */
  readonly outputJsonSchema?: JsonSchema;
  readonly hints?: ToolHints;
  /** Free labels for policies to match on (`resource.tags.contains("payments")`). */
  readonly tags?: readonly string[];
  /** The MCP upstream the tool comes from (set by `@agent-gateway/mcp`): policies match it as `resource in Upstream::"fs"`. */
  readonly upstream?: string;
  /** Provider keys this tool may read through `context.secrets` (e.g. `['openai']`). */
  readonly secrets?: readonly string[];
  /** Only callers of these roles see and call the tool (others get 403 `tool_not_allowed`); every role that calls tools when absent. */
  readonly roles?: readonly Role[];
  /**
   * A function (trusted, in-process) or a sandbox runner. What it returns must be JSON-serialisable;
   * it is the `result` the caller receives.
   */
  readonly run: InProcessRunner<StandardSchemaV1.InferOutput<Schema>, Result> | SandboxRunner;
}

/**
 * A tool whose args are described by a JSON Schema instead of a schema object: a tool of another
 * program (an MCP server's) that arrives with its schema at run time. The schema is compiled once,
 * at registration (2020-12 by default; `$schema` may name 2019-09 or draft-07), and a schema that
 * cannot be compiled is refused. Calls are checked against it as other tools' are (422
 * `invalid_args` with the issues), the args reach `run` unchanged, and `GET /tools` lists the
 * schema as it was given.
 */
export interface JsonSchemaToolDefinition<Result = unknown>
  extends Omit<ToolDefinition<StandardSchemaV1, Result>, 'args' | 'jsonSchema' | 'output' | 'requiresApproval' | 'run'> {
  readonly inputSchema: JsonSchema;
  readonly args?: never;
  readonly jsonSchema?: never;
  readonly output?: never;
  readonly requiresApproval?: ApprovalPolicy<unknown>;
  readonly run: InProcessRunner<unknown, Result> | SandboxRunner;
}

/** Either kind of tool, as the registry takes it. */
export type AnyToolDefinition<Result = unknown> = ToolDefinition<StandardSchemaV1, Result> | JsonSchemaToolDefinition<Result>;

/** Types a tool definition without registering it, so tools can live in their own modules. */
export function defineTool<Schema extends StandardSchemaV1, Result>(
  definition: ToolDefinition<Schema, Result>,
): ToolDefinition<Schema, Result> {
  return definition;
}
