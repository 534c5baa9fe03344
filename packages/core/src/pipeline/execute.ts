import { GatewayError, ServiceUnavailableError, ToolFailedError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { sandboxFailure } from '../sandbox/sandbox-failure.js';
import type { ContainerRunner, WorkerPool } from '../sandbox/worker-pool.js';
import { scopedSecrets, type ScopedSecrets } from '../secrets/scoped-secrets.js';
import type { SecretAccessor, SecretStore } from '../secrets/secret-store.js';
import { clampDelay } from '../timers/long-timeout.js';
import type { SandboxRunner, ToolContext, ToolProgress } from '../tools/tool-definition.js';
import type { RegisteredTool } from '../tools/tool-registry.js';
import { noteSandboxMode } from '../tracing/index.js';
import { progressReporter, type ProgressReporter } from './progress.js';

/** What running a tool may need: where sandboxed tools run, and the store its secrets come from. */
export interface ExecutionDeps {
  readonly pool: WorkerPool | undefined;
  readonly docker: ContainerRunner | undefined;
  readonly secrets: SecretStore;
}

async function runSandboxed(tool: RegisteredTool, spec: SandboxRunner, args: unknown, context: ToolContext, sandboxes: ExecutionDeps): Promise<unknown> {
  // Clamped: the sandboxes pass it to a timer, which fires at once on a delay past its maximum.
  const timing = { ...(spec.timeoutMs === undefined ? {} : { timeoutMs: clampDelay(spec.timeoutMs, 1) }), signal: context.signal };
  noteSandboxMode(spec.sandbox);
  try {
    if (spec.sandbox === 'pool') {
      if (sandboxes.pool?.call === undefined) throw new ServiceUnavailableError('sandbox_unavailable', 'this gateway has no sandbox pool');
      const params = spec.action === 'run' ? { tool: tool.name, args } : args;
      return await sandboxes.pool.call(spec.action, params, timing);
    }
    if (sandboxes.docker === undefined) throw new ServiceUnavailableError('sandbox_unavailable', 'this gateway has no Docker runner');
    return await sandboxes.docker.run({ command: spec.command, input: args, ...(spec.image === undefined ? {} : { image: spec.image }), ...timing });
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw sandboxFailure(tool.name, error);
  }
}

/**
 * The call as the pipeline knows it; `signals` abort the run (the caller leaving, the gateway
 * closing), asked for only when the tool reads its signal (a client's signal is made on demand);
 * `onProgress` hears the tool's progress reports, when someone listens.
 */
export interface ExecutionCall {
  readonly callId: string;
  readonly caller: ToolContext['caller'];
  readonly signals: () => readonly AbortSignal[];
  readonly onProgress?: ((progress: ToolProgress) => void) | undefined;
}

/**
 * A run's context. The scoped secrets and the progress reporter are made on first use (most tools use
 * neither); the signal too. `reportProgress` is an own arrow function, so a tool may destructure it.
 */
class ToolRun implements ToolContext {
  readonly callId: string;
  readonly caller: ToolContext['caller'];
  readonly #tool: RegisteredTool;
  readonly #call: ExecutionCall;
  readonly #store: SecretStore;
  readonly #logger: Logger;
  #signal: AbortSignal | undefined;
  #secrets: ScopedSecrets | undefined;
  #progress: ProgressReporter | undefined;
  #ended = false;

  constructor(tool: RegisteredTool, call: ExecutionCall, store: SecretStore, logger: Logger) {
    this.callId = call.callId;
    this.caller = call.caller;
    this.#tool = tool;
    this.#call = call;
    this.#store = store;
    this.#logger = logger;
  }

  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const signals = this.#call.signals();
      this.#signal = signals.length === 1 && signals[0] !== undefined ? signals[0] : AbortSignal.any([...signals]);
    }
    return this.#signal;
  }

  get secrets(): SecretAccessor {
    this.#secrets ??= scopedSecrets(this.#store, this.#tool.name, this.#tool.secrets);
    return this.#secrets.accessor;
  }

  readonly reportProgress = (report: ToolProgress): void => {
    if (this.#ended) return;
    this.#progress ??= progressReporter(this.#call.onProgress, (text) => this.scrub(text), this.#logger, { tool: this.#tool.name, callId: this.callId });
    this.#progress.report(report);
  };

  /** `text` without the secret values this run was handed. */
  scrub(text: string): string {
    return this.#secrets === undefined ? text : this.#secrets.scrub(text);
  }

  /** Reports made after the run has settled (a timer the tool left behind) reach nobody. */
  end(): void {
    this.#ended = true;
    this.#progress?.end();
  }
}

/**
 * Step: run the tool, in-process or in its sandbox. A GatewayError (a ToolError) passes through
 * with its message; anything else is logged with its stack and reported without detail.
 */
export async function execute(
  tool: RegisteredTool,
  args: unknown,
  call: ExecutionCall,
  deps: ExecutionDeps,
  logger: Logger,
): Promise<unknown> {
  const context = new ToolRun(tool, call, deps.secrets, logger);
  try {
    if (tool.runner.kind === 'sandbox') return await runSandboxed(tool, tool.runner.spec, args, context, deps);
    return await tool.runner.run(args, context);
  } catch (error) {
    if (error instanceof GatewayError) {
      if (error.status >= 500) logger.error(`tool call failed: ${error.code}`, { tool: tool.name, callId: context.callId, cause: error.cause });
      throw error;
    }
    // A tool that puts a key it was given into its error must not get it into the logs.
    const logged = error instanceof Error ? { name: error.name, message: context.scrub(error.message), stack: context.scrub(error.stack ?? '') } : context.scrub(String(error));
    logger.error('tool threw', { tool: tool.name, callId: context.callId, error: logged });
    throw new ToolFailedError(tool.name, error);
  } finally {
    context.end();
  }
}
