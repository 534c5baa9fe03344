import type { Caller, GatewayServices, ToolListing } from '@agent-gateway/core';
import { mayCallTool } from '@agent-gateway/core/http';
import type { ListToolsResult, Tool, ToolAnnotations } from '@modelcontextprotocol/server';

/** `_meta` keys of this gateway (a prefix of its own, as MCP asks of extensions). */
export const META = {
  callId: 'agent-gateway/call_id',
  approvalId: 'agent-gateway/approval_id',
  error: 'agent-gateway/error',
  requiresApproval: 'agent-gateway/requires_approval',
  killSwitch: 'agent-gateway/kill_switch',
} as const;

const KILL_SWITCH_NOTE = "[Unavailable: the gateway's kill switch is on; every call fails until an admin turns it off.] ";

type JsonObjectSchema = Tool['inputSchema'];

/** MCP takes object schemas only, for args and results; a tool with another shape cannot be offered. */
function objectSchema(schema: Readonly<Record<string, unknown>> | undefined): JsonObjectSchema | undefined {
  return schema?.type === 'object' ? ({ ...schema, type: 'object' } as JsonObjectSchema) : undefined;
}

function annotationsOf(listing: ToolListing): ToolAnnotations | undefined {
  const { hints } = listing;
  const annotations: ToolAnnotations = {
    ...(hints?.title === undefined ? {} : { title: hints.title }),
    ...(hints?.readOnly === undefined ? {} : { readOnlyHint: hints.readOnly }),
    // A call a person must approve is the gateway's own word for destructive.
    ...(listing.requires_approval === false ? {} : { destructiveHint: true }),
    ...(hints?.idempotent === undefined ? {} : { idempotentHint: hints.idempotent }),
    ...(hints?.openWorld === undefined ? {} : { openWorldHint: hints.openWorld }),
  };
  return Object.keys(annotations).length === 0 ? undefined : annotations;
}

/** One registry entry as an MCP tool, or `undefined` when its args are not an object. */
export function mcpToolOf(listing: ToolListing, killSwitchOn: boolean): Tool | undefined {
  const inputSchema = objectSchema(listing.args_schema);
  if (inputSchema === undefined) return undefined;
  const outputSchema = objectSchema(listing.result_schema);
  const annotations = annotationsOf(listing);
  return {
    name: listing.name,
    ...(listing.hints?.title === undefined ? {} : { title: listing.hints.title }),
    description: killSwitchOn ? `${KILL_SWITCH_NOTE}${listing.description}` : listing.description,
    inputSchema,
    ...(outputSchema === undefined ? {} : { outputSchema }),
    ...(annotations === undefined ? {} : { annotations }),
    ...(listing.requires_approval === false ? {} : { _meta: { [META.requiresApproval]: listing.requires_approval } }),
  };
}

/**
 * `tools/list` for one caller: only what their role and allow-list let them call (the pipeline's own
 * decision), so an agent is never shown a tool it would be refused. While the kill switch is on the
 * list says so, in each description (which models read) and in `_meta` (which programs read).
 */
export function listToolsFor(services: GatewayServices, caller: Caller): ListToolsResult {
  const killSwitchOn = services.killSwitch.enabled;
  const tools = services.tools
    .list()
    .filter((listing) => mayCallTool(caller, listing))
    .flatMap((listing) => mcpToolOf(listing, killSwitchOn) ?? []);
  return { tools, ...(killSwitchOn ? { _meta: { [META.killSwitch]: 'on' } } : {}) };
}

/** The tool's result schema, when it declares an object one: then results also go out as `structuredContent`. */
export function resultSchemaOf(services: GatewayServices, toolName: string): JsonObjectSchema | undefined {
  return objectSchema(services.tools.get(toolName)?.listing.result_schema);
}
