import type { z } from 'zod';
import type { Caller } from '../pipeline/caller.js';

/** What a tool's `run` gets besides its args. */
export interface ToolContext {
  /** Unique per call; the same id appears in events, logs and (later) the audit log. */
  readonly callId: string;
  readonly caller: Caller;
  /** Aborted when the caller goes away or the gateway closes: stop work and return. */
  readonly signal: AbortSignal;
}

/** A risk decided per call: `true` holds the call for human approval. */
export type ApprovalPolicy<Args> = boolean | ((args: Args, caller: Caller) => boolean);

/**
 * A tool as its author writes it. `args` is a zod schema: it validates every call, types `run`'s
 * args, and is published as JSON Schema by `GET /tools`.
 */
export interface ToolDefinition<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  /** Letters, digits and `. _ -`, starting with a letter; dots group tools (`file.write`). */
  readonly name: string;
  readonly description: string;
  readonly args: Schema;
  readonly requiresApproval?: ApprovalPolicy<z.output<Schema>>;
  /** Must return something JSON can serialise; it is the `result` the caller receives. */
  run(args: z.output<Schema>, context: ToolContext): Result | Promise<Result>;
}

/** Types a tool definition without registering it, so tools can live in their own modules. */
export function defineTool<Schema extends z.ZodType, Result>(
  definition: ToolDefinition<Schema, Result>,
): ToolDefinition<Schema, Result> {
  return definition;
}
