import { auditActorOf } from '../audit/audit-entry.js';
import type { AuditLog } from '../audit/audit-log.js';
import { NotFoundError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { Caller } from '../pipeline/caller.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { PolicyDecision, PolicyEngine, PolicyRequest, PolicySetInfo } from './policy-engine.js';
import { PolicyUnavailableError } from './policy-errors.js';

/** What `Policies` needs from the gateway. */
export interface PoliciesContext {
  readonly tools: ToolRegistry;
  readonly logger: Logger;
  readonly audit: AuditLog | undefined;
}

/**
 * The gateway's policy engine, if it has one (`GatewayOptions.policy`): started on first use, so that
 * the tools it validates against are registered by then (a host may `await gateway.policies.start()`
 * after registering its tools, to learn of an invalid set at boot). Without an engine every method
 * says there is none and the pipeline keeps to roles, allow-lists and `requiresApproval`.
 */
export class Policies {
  readonly engine: PolicyEngine | undefined;
  readonly #context: PoliciesContext;
  #started: Promise<PolicySetInfo> | undefined;
  #failure: unknown;
  #serving = false;

  constructor(engine: PolicyEngine | undefined, context: PoliciesContext) {
    this.engine = engine;
    this.#context = context;
  }

  /** Whether a policy engine is configured (when not, the pipeline does not consult one). */
  get configured(): boolean {
    return this.engine !== undefined;
  }

  /** The set serving now, or undefined. */
  get current(): PolicySetInfo | undefined {
    return this.engine?.current;
  }

  /**
   * Loads the first policy set (once; later calls return the same promise). Rejects with the engine's
   * error (`InvalidPolicyError` for a set that does not validate); calls are then refused until a reload
   * succeeds.
   */
  start(): Promise<PolicySetInfo> {
    const engine = this.#engineOrThrow();
    this.#started ??= engine.start({ tools: this.#context.tools, logger: this.#context.logger }).then(
      (info) => {
        this.#serving = true;
        this.#context.logger.info('policy set loaded', { engine: engine.name, policies: info.policies, digest: info.digest });
        return info;
      },
      (error: unknown) => {
        this.#failure = error;
        this.#context.logger.error('the policy set did not load; every tool call is refused until a reload succeeds', { engine: engine.name, error });
        throw error;
      },
    );
    return this.#started;
  }

  /** The decision for one call: at once when a set is serving, after the first load otherwise. */
  decide(request: PolicyRequest): PolicyDecision | Promise<PolicyDecision> {
    const engine = this.#engineOrThrow();
    if (this.#serving) return engine.decide(request);
    return this.start().then(
      () => engine.decide(request),
      (error: unknown) => {
        // The engine may load since (a set that names tools registered after the first try): it is asked.
        try {
          return engine.decide(request);
        } catch {
          throw new PolicyUnavailableError(error instanceof Error ? error.message : 'the first load failed', error);
        }
      },
    );
  }

  /**
   * Loads the policy source again and swaps the set in atomically; a set that does not validate is
   * refused (the serving one stays). Audited, either way.
   */
  async reload(by: Caller): Promise<PolicySetInfo> {
    const engine = this.#engineOrThrow();
    // The first load may still be under way: the reload follows it, whichever way it went.
    await this.#started?.catch(() => undefined);
    try {
      const info = await engine.reload();
      this.#serving = true;
      this.#failure = undefined;
      await this.#context.audit?.append('policy_reloaded', auditActorOf(by), { digest: info.digest, outcome: 'ok', policies: info.policies });
      this.#context.logger.info('policy set reloaded', { policies: info.policies, digest: info.digest });
      return info;
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'internal_error';
      await this.#context.audit?.append('policy_reloaded', auditActorOf(by), { code, outcome: 'refused' });
      throw error;
    }
  }

  /** Why no set is serving, when the first load failed. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Stops the engine (its file watch). */
  async close(): Promise<void> {
    await this.engine?.close?.();
  }

  #engineOrThrow(): PolicyEngine {
    if (this.engine === undefined) throw new NotFoundError('this gateway has no policy engine (AGENT_GATEWAY_POLICY_FILE)');
    return this.engine;
  }
}
