import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway } from '../src/index.js';
import { gatewayRoutes } from '../src/http/routes/index.js';
import { createConformanceGateway, type ConformanceGateway } from '@agent-gateway/conformance';

describe('GET /openapi.json', () => {
  let conformance: ConformanceGateway;
  let gateway: Gateway;
  let document: Record<string, unknown>;

  beforeAll(async () => {
    conformance = await createConformanceGateway();
    gateway = conformance.gateway;
    const response = await gateway.handle({ method: 'GET', url: '/openapi.json', headers: {}, body: { kind: 'none' } });
    if (response === undefined || !('body' in response)) throw new Error('no document');
    expect(response.status).toBe(200);
    document = JSON.parse(response.body) as Record<string, unknown>;
  });
  afterAll(async () => {
    await conformance.dispose();
  });

  it('is a valid OpenAPI 3.1 document (checked by an OpenAPI validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route of the route table with its method', () => {
    const paths = document.paths as Record<string, Record<string, unknown>>;
    for (const route of gatewayRoutes) {
      const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      expect(paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('includes each tool\'s args schema and ties /tools/call to them', () => {
    const schemas = (document.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['ToolArgs_echo']).toMatchObject({ type: 'object', properties: { text: { type: 'string' } }, required: ['text'] });
    const call = (document.paths as Record<string, Record<string, { requestBody: { content: Record<string, { schema: { oneOf: unknown[] } }> } }>>)['/tools/call']?.post;
    expect(call?.requestBody.content['application/json']?.schema.oneOf).toContainEqual({
      type: 'object',
      properties: { tool: { const: 'echo' }, args: { $ref: '#/components/schemas/ToolArgs_echo' } },
    });
  });

  it('marks authenticated routes with bearer security, and optional ones as either', () => {
    const paths = document.paths as Record<string, Record<string, { security?: unknown[]; parameters?: Array<{ name: string; in: string }> }>>;
    expect(paths['/tools/call']?.post?.security).toEqual([{ bearerAuth: [] }]);
    expect(paths['/approvals']?.get?.security).toEqual([{}, { bearerAuth: [] }]);
    expect(paths['/health']?.get?.security).toBeUndefined();
    expect(paths['/admin/audit']?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['query:tail', 'query:event']);
    expect(paths['/approvals/{id}/approve']?.post?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
  });
});
