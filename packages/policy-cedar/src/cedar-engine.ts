import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import {
  policyToolOf,
  PolicyUnavailableError,
  type Caller,
  type PolicyDecision,
  type PolicyEngine,
  type PolicyEngineContext,
  type PolicyRequest,
  type PolicySetInfo,
  type ToolListing,
} from '@agent-gateway/core';
import { compilePolicySet, type CedarModule, type CompiledSet } from './cedar-policy-set.js';
import { argsValueOf, timeReader, toolEntityOf, userEntityOf } from './cedar-request.js';
import type { CedarValue } from './cedar-values.js';

/** Options of `cedarPolicies()`: where the policies come from, and the clock and time zone of `context.time`. */
export interface CedarPoliciesOptions {
  /** A file of Cedar policies (`AGENT_GATEWAY_POLICY_FILE`): reloaded when it changes, unless `watch` is false. */
  readonly file?: string;
  /** The policies as text, instead of a file. */
  readonly text?: string;
  /** Reload the file when it changes. Default true with `file`. */
  readonly watch?: boolean;
  /** The clock, in epoch milliseconds (tests pass a fake one). Default `Date.now`. */
  readonly now?: () => number;
  /** The IANA time zone of `context.time` (`Europe/Paris`). Default UTC. */
  readonly timeZone?: string;
  /** The caller's groups (`principal in Group::"ops"`, `principal.groups`). Default none. */
  readonly groupsOf?: (caller: Caller) => readonly string[];
}

const NO_GROUPS: readonly string[] = Object.freeze([]);

/** A file change is often several events (an editor's write, rename, chmod): one reload after they settle. */
const WATCH_SETTLE_MS = 50;

/**
 * Loads Cedar's WebAssembly build: on first use only, so that a gateway without policies never pays for
 * it (about 4 MB). Node's build, the one that needs no bundler or fetch.
 */
async function loadCedar(): Promise<CedarModule> {
  return import('@cedar-policy/cedar-wasm/nodejs');
}

function highest(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

/**
 * The Cedar policy engine (see docs/policies.md). principal = the caller (`User`, in its `Role` and
 * `Group`s), action = the call (`Action::"<tool name>"`), resource = the tool (`Tool`, in its
 * `Upstream`), context = the validated args, the origin, the client and the time. A `forbid` that
 * matches denies, naming its `@id`; no matching `permit` denies; a matching `permit` allows, or asks for
 * approval by N people when it carries `@approvers("N")` (the highest N of the matching permits). A
 * policy that errors while evaluating denies (fail closed).
 */
export class CedarPolicyEngine implements PolicyEngine {
  readonly name = 'cedar';
  readonly #options: CedarPoliciesOptions;
  readonly #uid = randomUUID();
  readonly #now: () => number;
  readonly #time: (time: Date) => Record<string, CedarValue>;
  readonly #groupsOf: (caller: Caller) => readonly string[];
  #cedar: CedarModule | undefined;
  #context: PolicyEngineContext | undefined;
  #set: CompiledSet | undefined;
  #generation = 0;
  /** The tool listing the serving set was validated against: another listing means tools changed. */
  #validatedFor: readonly ToolListing[] | undefined;
  /** The text of a load that failed while no set served: tried again when the tools change (an upstream's arrive). */
  #unloaded: string | undefined;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;

  constructor(options: CedarPoliciesOptions) {
    if ((options.file === undefined) === (options.text === undefined)) throw new TypeError('cedarPolicies: give exactly one of file and text');
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#time = timeReader(options.timeZone);
    this.#groupsOf = options.groupsOf ?? (() => NO_GROUPS);
  }

  get current(): PolicySetInfo | undefined {
    return this.#set?.info;
  }

  /** Loads Cedar's WebAssembly build and the first set, then watches the file. */
  async start(context: PolicyEngineContext): Promise<PolicySetInfo> {
    this.#context = context;
    this.#cedar ??= await loadCedar();
    const info = await this.reload();
    if (this.#options.file !== undefined && this.#options.watch !== false) this.#watch(this.#options.file);
    return info;
  }

  /** Reads the source again and swaps the new set in whole, or throws `InvalidPolicyError` and keeps the old. */
  async reload(): Promise<PolicySetInfo> {
    const text = this.#options.text ?? (await readFile(this.#options.file ?? '', 'utf8'));
    // From here to the swap nothing awaits: a call is decided by the old set or the new one, never a mix.
    return this.#install(text).info;
  }

  /**
   * Loads `text` as the serving set (policies kept elsewhere than a file: a database, a config service),
   * validated as a reload's would be. Later reloads read the file (or `text` option) again.
   */
  async loadText(text: string): Promise<PolicySetInfo> {
    return this.#install(text).info;
  }

  /** Decides one call with the serving set; the tools changed since it was validated are checked first. */
  decide(request: PolicyRequest): PolicyDecision {
    const cedar = this.#cedar;
    if (this.#context !== undefined && this.#context.tools.list() !== this.#validatedFor) this.#revalidate();
    if (this.#set === undefined && this.#unloaded !== undefined) this.#retryFirstLoad(this.#unloaded);
    const set = this.#set;
    if (cedar === undefined || set === undefined) throw new PolicyUnavailableError('the Cedar engine has not loaded a policy set');
    const { caller, tool } = request;
    const fixed = set.fixedOf.get(tool.name);
    if (fixed !== undefined) return fixed;
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'User', id: caller.id },
      action: { type: 'Action', id: tool.name },
      resource: { type: 'Tool', id: tool.name },
      context: {
        args: argsValueOf(tool, request.args),
        origin: request.origin ?? '',
        client: request.client,
        time: this.#time(request.time ?? new Date(this.#now())),
      },
      entities: [userEntityOf(caller, this.#groupsOf(caller)), toolEntityOf(tool)],
      preparsedPolicySetId: set.cacheIdOf.get(tool.name) ?? set.cacheId,
    });
    if (answer.type === 'failure') {
      return { effect: 'deny', policies: [], reason: `the policy engine could not evaluate the call (${answer.errors.map((e) => e.message).join('; ')})` };
    }
    const { decision, diagnostics } = answer.response;
    // A policy that cannot be evaluated (an attribute the args lack) might have been a forbid: fail closed.
    if (diagnostics.errors.length > 0) {
      return { effect: 'deny', policies: [...new Set(diagnostics.errors.map((e) => e.policyId))].sort(), reason: 'a policy failed to evaluate' };
    }
    // Sorted: Cedar reports them in no set order, and audit entries should read the same for the same decision.
    const policies = [...diagnostics.reason].sort();
    if (decision === 'deny') return { effect: 'deny', policies, reason: policies.length === 0 ? 'no policy permits it' : 'a policy forbids it' };
    const approvers = highest(policies.map((id) => set.approvers.get(id) ?? 0));
    return approvers > 0 ? { effect: 'approve', approvers, policies } : { effect: 'allow', policies };
  }

  /** Stops watching the file. */
  close(): void {
    clearTimeout(this.#settle);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #install(text: string): CompiledSet {
    const cedar = this.#cedar;
    const context = this.#context;
    if (cedar === undefined || context === undefined) throw new PolicyUnavailableError('the Cedar engine has not started');
    const listing = context.tools.list();
    const tools = listing.flatMap((entry) => {
      const tool = context.tools.get(entry.name);
      return tool === undefined ? [] : [policyToolOf(tool)];
    });
    let set: CompiledSet;
    try {
      // Two cache slots in turn: the new set never overwrites the one serving.
      set = compilePolicySet(cedar, text, tools, `${this.#uid}:${(this.#generation + 1) % 2}`, new Date(this.#now()));
    } catch (error) {
      if (this.#set === undefined) {
        this.#unloaded = text;
        this.#validatedFor = listing;
      }
      throw error;
    }
    this.#generation += 1;
    this.#set = set;
    this.#unloaded = undefined;
    this.#validatedFor = listing;
    return set;
  }

  /** Tools were registered or removed: the serving set is validated against their schemas again. */
  #revalidate(): void {
    const set = this.#set;
    if (set === undefined) return;
    try {
      this.#install(set.text);
    } catch (error) {
      // The set keeps serving (its decisions do not depend on the schema); the operator hears why.
      this.#validatedFor = this.#context?.tools.list();
      this.#context?.logger.error('the policy set no longer validates against the registered tools; it keeps serving until fixed', { error });
    }
  }

  /** No set serves yet and the tools changed since the last try: the tools a policy names may have arrived. */
  #retryFirstLoad(text: string): void {
    if (this.#context?.tools.list() === this.#validatedFor) return;
    try {
      const info = this.#install(text).info;
      this.#context?.logger.info('policy set loaded once the tools it names were registered', { policies: info.policies, digest: info.digest });
    } catch {
      // Still refused: calls keep getting 503 until the tools arrive or the file is fixed.
    }
  }

  #watch(file: string): void {
    const name = basename(file);
    // The directory, not the file: an editor that saves by renaming replaces the file a watch would hold.
    this.#watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.#settle);
      this.#settle = setTimeout(() => {
        this.reload().then(
          (info) => this.#context?.logger.info('policy file changed; set reloaded', { policies: info.policies, digest: info.digest }),
          (error: unknown) => this.#context?.logger.error('policy file changed but the new set is refused; the previous set keeps serving', { error }),
        );
      }, WATCH_SETTLE_MS);
      this.#settle.unref();
    });
    this.#watcher.unref();
  }
}

/** A Cedar policy engine for `new Gateway({ policy })`. Nothing is loaded until the gateway starts it. */
export function cedarPolicies(options: CedarPoliciesOptions): CedarPolicyEngine {
  return new CedarPolicyEngine(options);
}
