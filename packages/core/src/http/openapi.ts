import { z } from 'zod';
import type { GatewayServices } from '../services.js';
import type { Route } from './route.js';

type JsonObject = Record<string, unknown>;

const errorSchema: JsonObject = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        details: { type: 'object' },
      },
    },
  },
};

function jsonSchemaOf(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  return rest;
}

/** `/approvals/:id/approve` -> `/approvals/{id}/approve`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function operationId(route: Route): string {
  const words = `${route.method.toLowerCase()} ${route.path}`.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

function parameters(route: Route): JsonObject[] {
  const path = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (route.querySchema === undefined) return path;
  const query = jsonSchemaOf(route.querySchema);
  const properties = (query.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((query.required ?? []) as string[]);
  return [...path, ...Object.entries(properties).map(([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }))];
}

function security(route: Route): JsonObject[] | undefined {
  if (route.auth === 'none') return undefined;
  if (route.auth === 'optional') return [{}, { bearerAuth: [] }];
  return [{ bearerAuth: [] }];
}

/**
 * The OpenAPI 3.1 document of a gateway, generated from its route table and zod schemas: every route,
 * its parameters, body and auth, and each registered tool's args schema (`components.schemas`).
 */
export function openApiDocument(services: GatewayServices, routes: readonly Route[], info: { title: string; version: string }): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const body = route.describeBody?.(services) ?? (route.bodySchema === undefined ? undefined : jsonSchemaOf(route.bodySchema));
    const auth = security(route);
    const roles = Array.isArray(route.auth) ? ` Roles: ${route.auth.join(', ')}.` : '';
    const operation: JsonObject = {
      operationId: operationId(route),
      summary: route.summary,
      ...(roles === '' ? {} : { description: roles.trim() }),
      ...(auth === undefined ? {} : { security: auth }),
      parameters: parameters(route),
      ...(body === undefined ? {} : { requestBody: { required: !route.bodyOptional, content: { 'application/json': { schema: body } } } }),
      responses: {
        '200': { description: 'Success', content: { [route.produces]: { schema: route.produces === 'application/json' ? { type: 'object' } : { type: 'string' } } } },
        default: { description: 'An error, in the one error shape', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
    const key = openApiPath(route.path);
    paths[key] = { ...paths[key], [route.method.toLowerCase()]: operation };
  }
  const toolSchemas = Object.fromEntries(
    services.tools.list().map((tool) => [toolSchemaName(tool.name), asComponent(tool.args_schema, toolSchemaName(tool.name))]),
  );
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema, ...toolSchemas },
    },
  };
}

/** The component name of a tool's args schema: `ToolArgs_file.write`. */
export function toolSchemaName(tool: string): string {
  return `ToolArgs_${tool}`;
}

const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);

/**
 * A tool's schema as a component of the document: without its `$schema` (OpenAPI 3.1 names the
 * dialect), and with its own references (`#/$defs/...`, which zod writes for recursive schemas and MCP
 * servers for shared parts) pointing into the component, since in the document `#` is its root.
 */
function asComponent(schema: Readonly<Record<string, unknown>>, name: string): JsonObject {
  const { $schema: _dialect, ...rest } = schema;
  const base = `#/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
  const rebase = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rebase);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#')) return [key, `${base}${child.slice(1)}`];
        // Values, not schemas: a `$ref` key inside them is data.
        return [key, DATA_KEYWORDS.has(key) ? child : rebase(child)];
      }),
    );
  };
  return rebase(rest) as JsonObject;
}

/** `{tool, args, ...extra}` with one alternative per registered tool, each `args` referencing its schema. */
export function toolCallBodySchema(services: GatewayServices, extra: Record<string, JsonObject> = {}): JsonObject {
  const tools = services.tools.list();
  return {
    type: 'object',
    required: ['tool'],
    oneOf: tools.map((tool) => ({
      type: 'object',
      properties: { tool: { const: tool.name }, args: { $ref: `#/components/schemas/${toolSchemaName(tool.name)}` } },
    })),
    properties: { tool: { type: 'string' }, args: {}, ...extra },
    additionalProperties: false,
  };
}
