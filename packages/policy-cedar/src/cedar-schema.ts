import type { JsonSchema, PolicyTool } from '@agent-gateway/core';
import type { ActionType, SchemaJson } from '@cedar-policy/cedar-wasm/nodejs';

/** A Cedar type in the JSON schema form (`{ type: 'Long' }`, a record, a set, an extension). */
export type CedarType =
  | { readonly type: 'String' | 'Long' | 'Boolean' }
  | { readonly type: 'Extension'; readonly name: 'decimal' }
  | { readonly type: 'Set'; readonly element: CedarType }
  | { readonly type: 'Record'; readonly attributes: Readonly<Record<string, CedarType & { readonly required?: boolean }>> }
  | { readonly type: 'Entity'; readonly name: string };

const ARGS_DEPTH = 8;

/**
 * The Cedar type of a JSON Schema, for what a policy may read of `context.args`: strings, integers
 * (Long), numbers (decimal, 4 places), booleans, arrays (sets) and objects (records). What has no Cedar
 * type (unions, `null`, free-form objects) is left out: a policy naming it fails validation at load.
 */
export function cedarTypeOf(schema: unknown, depth = 0): CedarType | undefined {
  if (typeof schema !== 'object' || schema === null || depth > ARGS_DEPTH) return undefined;
  const s = schema as JsonSchema;
  switch (s.type) {
    case 'string':
      return { type: 'String' };
    case 'integer':
      return { type: 'Long' };
    case 'number':
      return { type: 'Extension', name: 'decimal' };
    case 'boolean':
      return { type: 'Boolean' };
    case 'array': {
      const element = cedarTypeOf(s.items, depth + 1);
      return element === undefined ? undefined : { type: 'Set', element };
    }
    case 'object':
      return recordOf(s, depth);
    default:
      return undefined;
  }
}

function recordOf(schema: JsonSchema, depth: number): CedarType {
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const properties = typeof schema.properties === 'object' && schema.properties !== null ? (schema.properties as Record<string, unknown>) : {};
  const attributes: Record<string, CedarType & { required?: boolean }> = {};
  for (const [name, property] of Object.entries(properties)) {
    const type = cedarTypeOf(property, depth + 1);
    if (type !== undefined) attributes[name] = { ...type, required: required.has(name) };
  }
  return { type: 'Record', attributes };
}

/** The record type of a tool's `context.args` (an empty record for args that are not an object). */
export function argsTypeOf(tool: PolicyTool): CedarType & { readonly type: 'Record' } {
  const type = cedarTypeOf(tool.argsSchema);
  return type?.type === 'Record' ? type : { type: 'Record', attributes: {} };
}

const STRING = { type: 'String' } as const;
const LONG = { type: 'Long' } as const;
const BOOL = { type: 'Boolean' } as const;

/**
 * The time a call is made, as `context.time` (in the engine's time zone, UTC by default): `hour` 0-23,
 * `minute`, `weekday` 0 (Sunday) to 6, `date` `YYYY-MM-DD`, `epoch` in seconds.
 */
const TIME_TYPE = {
  type: 'Record',
  attributes: { epoch: LONG, date: STRING, hour: LONG, minute: LONG, weekday: LONG },
} as const;

/**
 * The whole Cedar schema (JSON form) policies are validated against: entity types `User` (in `Role`
 * and `Group`), `Tool` (in `Upstream`), and one action per registered tool, named as the tool, whose
 * `context.args` has the types of that tool's args schema.
 */
export function cedarSchemaOf(tools: readonly PolicyTool[]): SchemaJson<string> {
  const actions: Record<string, ActionType<string>> = {};
  for (const tool of tools) {
    actions[tool.name] = {
      appliesTo: {
        principalTypes: ['User'],
        resourceTypes: ['Tool'],
        context: {
          type: 'Record',
          attributes: { args: argsTypeOf(tool), origin: STRING, client: STRING, time: TIME_TYPE },
        },
      },
    };
  }
  return {
    '': {
      entityTypes: {
        Role: {},
        Group: {},
        Upstream: {},
        User: {
          memberOfTypes: ['Role', 'Group'],
          shape: { type: 'Record', attributes: { kind: STRING, role: STRING, groups: { type: 'Set', element: STRING }, issuer: { ...STRING, required: false } } },
        },
        Tool: {
          memberOfTypes: ['Upstream'],
          shape: {
            type: 'Record',
            attributes: {
              name: STRING,
              upstream: STRING,
              tags: { type: 'Set', element: STRING },
              annotations: { type: 'Record', attributes: { readOnly: BOOL, idempotent: BOOL, openWorld: BOOL } },
            },
          },
        },
      },
      actions,
    },
  };
}

/** The same schema in Cedar's human form, for docs and error messages. */
export const CEDAR_SCHEMA_TEXT = `entity Role, Group, Upstream;
entity User in [Role, Group] = { kind: String, role: String, groups: Set<String>, issuer?: String };
entity Tool in [Upstream] = {
  name: String, upstream: String, tags: Set<String>,
  annotations: { readOnly: Bool, idempotent: Bool, openWorld: Bool },
};
// One action per registered tool, named as the tool (Action::"file.write"), for example:
action "file.write" appliesTo {
  principal: User, resource: Tool,
  context: {
    args: { path: String, content: String },   // from the tool's args schema
    origin: String, client: String,
    time: { epoch: Long, date: String, hour: Long, minute: Long, weekday: Long },
  },
};`;
