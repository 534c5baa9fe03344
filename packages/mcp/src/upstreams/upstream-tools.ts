import type { GatewayServices, JsonSchemaToolDefinition, ToolHints } from '@agent-gateway/core';
import type { Tool } from '@modelcontextprotocol/client';
import { matchesAny } from './glob.js';
import { callUpstreamTool, type CallDeps } from './upstream-call.js';
import type { ResolvedUpstream } from './upstream-options.js';

/** Held for a person unless configured otherwise or the upstream says it only reads. */
export function needsApproval(config: ResolvedUpstream, tool: Tool): boolean {
  if (matchesAny(config.approval.require, tool.name)) return true;
  if (matchesAny(config.approval.exempt, tool.name)) return false;
  const annotations = tool.annotations;
  return annotations?.destructiveHint === true || annotations?.readOnlyHint !== true;
}

export function isExposed(config: ResolvedUpstream, name: string): boolean {
  if (matchesAny(config.tools.deny, name)) return false;
  return config.tools.allow === undefined || matchesAny(config.tools.allow, name);
}

function hintsOf(tool: Tool): ToolHints | undefined {
  const annotations = tool.annotations;
  const title = tool.title ?? annotations?.title;
  const hints: ToolHints = {
    ...(title === undefined ? {} : { title }),
    ...(annotations?.readOnlyHint === undefined ? {} : { readOnly: annotations.readOnlyHint }),
    ...(annotations?.idempotentHint === undefined ? {} : { idempotent: annotations.idempotentHint }),
    ...(annotations?.openWorldHint === undefined ? {} : { openWorld: annotations.openWorldHint }),
  };
  return Object.keys(hints).length === 0 ? undefined : hints;
}

/** What a tool's registration depends on: a change in any of it re-registers the tool. */
function fingerprintOf(tool: Tool): string {
  return JSON.stringify([tool.description, tool.title, tool.inputSchema, tool.annotations]);
}

/**
 * The registry entries of one upstream: `<upstream>.<tool>` for each tool it lists and the
 * configuration exposes, kept in step with its listing (at each start and on `list_changed`). A
 * tool that cannot be registered (a schema that does not compile, a name the registry refuses, a
 * name taken) is skipped with its reason, logged and shown on `/health/upstreams`; the others load.
 */
export class UpstreamTools {
  readonly #deps: CallDeps;
  readonly #services: GatewayServices;
  readonly #registered = new Map<string, { readonly registryName: string; readonly fingerprint: string }>();
  readonly #skipped = new Map<string, string>();

  constructor(deps: CallDeps, services: GatewayServices) {
    this.#deps = deps;
    this.#services = services;
  }

  get upstream(): string {
    return this.#deps.config.name;
  }

  #definitionOf(tool: Tool): JsonSchemaToolDefinition {
    const hints = hintsOf(tool);
    return {
      name: `${this.upstream}.${tool.name}`,
      description: tool.description ?? tool.title ?? `${tool.name} (MCP upstream ${this.upstream})`,
      inputSchema: tool.inputSchema,
      requiresApproval: needsApproval(this.#deps.config, tool),
      upstream: this.upstream,
      ...(hints === undefined ? {} : { hints }),
      ...(this.#deps.config.roles === undefined ? {} : { roles: this.#deps.config.roles }),
      run: (args, context) => callUpstreamTool(this.#deps, tool.name, args, context),
    };
  }

  /** Brings the registry in line with the upstream's listing. */
  sync(tools: readonly Tool[]): void {
    const listed = new Map(tools.filter((tool) => isExposed(this.#deps.config, tool.name)).map((tool) => [tool.name, tool]));
    for (const [name, entry] of this.#registered) {
      const tool = listed.get(name);
      if (tool !== undefined && fingerprintOf(tool) === entry.fingerprint) continue;
      this.#services.unregisterTool(entry.registryName);
      this.#registered.delete(name);
    }
    for (const name of this.#skipped.keys()) if (!listed.has(name)) this.#skipped.delete(name);
    for (const [name, tool] of listed) {
      if (this.#registered.has(name)) continue;
      const definition = this.#definitionOf(tool);
      try {
        this.#services.registerTool(definition);
        this.#registered.set(name, { registryName: definition.name, fingerprint: fingerprintOf(tool) });
        this.#skipped.delete(name);
      } catch (error) {
        const reason = this.#deps.scrubber.scrub(error instanceof Error ? error.message : String(error));
        if (this.#skipped.get(name) !== reason) this.#services.logger.warn('mcp upstream tool skipped', { upstream: this.upstream, tool: name, reason });
        this.#skipped.set(name, reason);
      }
    }
  }

  /** Takes every tool of this upstream out of the registry (the plugin closes). */
  removeAll(): void {
    for (const entry of this.#registered.values()) this.#services.unregisterTool(entry.registryName);
    this.#registered.clear();
  }

  status() {
    return {
      tools: [...this.#registered.values()].map((entry) => entry.registryName).sort(),
      skipped: [...this.#skipped].map(([tool, reason]) => ({ tool, reason })),
    };
  }
}
