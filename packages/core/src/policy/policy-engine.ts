import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { ToolHints } from '../tools/tool-definition.js';
import type { JsonSchema, ToolRegistry } from '../tools/tool-registry.js';

/** The tool a call names, as a policy sees it: the resource of the decision. */
export interface PolicyTool {
  readonly name: string;
  /** The MCP upstream the tool comes from (`fs` for `fs.write_file`), when it comes from one. */
  readonly upstream?: string;
  /** Free labels the tool's author gave it (`payments`, `pii`). */
  readonly tags: readonly string[];
  /** What the tool says about itself (read-only, idempotent, open world). */
  readonly hints?: ToolHints;
  /** The JSON Schema of its args: what a policy may read of `context.args`. */
  readonly argsSchema: JsonSchema;
}

/**
 * One question to the policy engine: may `caller` call `tool` with these (validated) args, now? `time`
 * is absent for a live call (the engine reads its own clock) and given for a dry run at another time.
 */
export interface PolicyRequest {
  readonly caller: Caller;
  readonly tool: PolicyTool;
  readonly args: unknown;
  /** The web origin the args came from, when the call names one. */
  readonly origin?: string;
  /** How the call arrived: `http`, `mcp`, `host` (in-process), `scheduler`, ... */
  readonly client: string;
  readonly time?: Date;
}

/**
 * What the engine decided, with the ids of the policies that decided it (written into the call's audit
 * entry). `approve` runs the call once `approvers` distinct people other than the caller approve it.
 */
export type PolicyDecision =
  | { readonly effect: 'allow'; readonly policies: readonly string[] }
  | { readonly effect: 'deny'; readonly policies: readonly string[]; readonly reason: string }
  | { readonly effect: 'approve'; readonly approvers: number; readonly policies: readonly string[] };

/** What a (re)loaded policy set is: how many policies, and a fingerprint of its text. */
export interface PolicySetInfo {
  readonly policies: number;
  /** SHA-256 of the policy text, so an operator can tell which set is serving. */
  readonly digest: string;
  readonly loadedAt: string;
}

/** What the gateway hands an engine when it starts it. */
export interface PolicyEngineContext {
  /** The gateway's tools: an engine that validates against the args' schemas reads them here. */
  readonly tools: ToolRegistry;
  readonly logger: Logger;
}

/**
 * Decides tool calls from rules an operator can read and change without a deploy. The gateway asks
 * it after a call's args are validated and before the content filter and the approval gate. Roles and
 * allow-lists are checked before it in any case; a tool's `requiresApproval` still applies (the
 * stricter of the two wins). `@agent-gateway/policy-cedar` is the shipped engine.
 *
 * `start` loads the first policy set (a set that does not validate rejects with `InvalidPolicyError`);
 * until it resolves calls wait, and if it failed every call is refused (503 `policy_unavailable`) until a
 * reload succeeds. `reload` swaps in a new set atomically, or rejects and leaves the serving set as it was.
 */
export interface PolicyEngine {
  readonly name: string;
  /** Loads the first set (called once, on first use); rejects with `InvalidPolicyError` for one that does not validate. */
  start(context: PolicyEngineContext): Promise<PolicySetInfo>;
  /** The decision for one call, by the set serving now; at once when it can be. */
  decide(request: PolicyRequest): PolicyDecision | Promise<PolicyDecision>;
  /** Loads the source again and swaps the set in whole, or rejects and keeps the serving set. */
  reload(): Promise<PolicySetInfo>;
  /** The set serving now, or undefined before one loaded. */
  readonly current: PolicySetInfo | undefined;
  /** Releases what the engine holds (a file watch). */
  close?(): void | Promise<void>;
}
