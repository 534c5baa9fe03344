import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Gateway, silentLogger, systemCaller, ToolRegistry, type GatewayRequest, type JsonSchema } from '../../src/index.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
});

function newGateway(): Gateway {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateways.push(gateway);
  return gateway;
}

const noteSchema: JsonSchema = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1 },
    tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
    mail: { type: 'string', format: 'email' },
    count: { type: 'integer', default: 3 },
  },
  required: ['title'],
  additionalProperties: false,
};

async function request(gateway: Gateway, method: string, url: string, body?: unknown, token?: string) {
  const req: GatewayRequest = {
    method,
    url,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? { kind: 'none' } : { kind: 'parsed', value: body },
  };
  const response = await gateway.handle(req);
  if (response === undefined || !('body' in response)) throw new Error('no buffered response');
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

async function agentToken(gateway: Gateway): Promise<string> {
  await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
  return (await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken;
}

describe('tools whose args are a JSON Schema (inputSchema)', () => {
  it('runs a call whose args fit, with the args unchanged (no defaults filled in)', async () => {
    const gateway = newGateway();
    const seen: unknown[] = [];
    gateway.registerTool({ name: 'notes.add', description: 'adds a note', inputSchema: noteSchema, run: (args) => (seen.push(args), 'added') });
    const args = { title: 'hello', tags: [{ name: 'a' }], mail: 'a@example.com' };
    const outcome = await gateway.callTool({ tool: 'notes.add', args }, { caller: systemCaller('t') });
    expect(outcome).toMatchObject({ status: 'executed', result: 'added' });
    expect(seen).toEqual([args]);
  });

  it('refuses args that do not fit with 422 invalid_args and every issue, paths written as for zod tools', async () => {
    const gateway = newGateway();
    gateway.registerTool({ name: 'notes.add', description: 'adds a note', inputSchema: noteSchema, run: () => 'added' });
    const token = await agentToken(gateway);
    const response = await request(gateway, 'POST', '/tools/call', { tool: 'notes.add', args: { tags: [{ name: 1 }, {}], mail: 'nope', extra: true } }, token);
    expect(response.status).toBe(422);
    const error = response.body.error as { code: string; issues: Array<{ path: string; message: string }> };
    expect(error.code).toBe('invalid_args');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['extra', 'mail', 'tags[0].name', 'tags[1].name', 'title'].sort());
    for (const issue of error.issues) expect(issue.message).toEqual(expect.any(String));
  });

  it('answers a bad call as a zod tool of the same shape does: same status, code and paths', async () => {
    const gateway = newGateway();
    gateway.registerTool({ name: 'json.echo', description: 'json', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, run: (args) => args });
    gateway.registerTool({ name: 'zod.echo', description: 'zod', args: z.object({ text: z.string() }), run: (args) => args });
    const token = await agentToken(gateway);
    for (const args of [{}, { text: 1 }]) {
      const json = await request(gateway, 'POST', '/tools/call', { tool: 'json.echo', args }, token);
      const zod = await request(gateway, 'POST', '/tools/call', { tool: 'zod.echo', args }, token);
      expect(json.status).toBe(zod.status);
      const paths = (body: Record<string, unknown>) => (body.error as { code: string; issues: Array<{ path: string }> }).issues.map((issue) => issue.path);
      expect((json.body.error as { code: string }).code).toBe((zod.body.error as { code: string }).code);
      expect(paths(json.body)).toEqual(paths(zod.body));
    }
    const valid = await request(gateway, 'POST', '/validate', { tool: 'json.echo', args: { text: 2 } });
    expect(valid.body).toMatchObject({ valid: false, issues: [{ path: 'text' }] });
  });

  it('lists the schema as given on GET /tools and in a valid /openapi.json', async () => {
    const gateway = newGateway();
    gateway.registerTool({ name: 'notes.add', description: 'adds a note', inputSchema: noteSchema, requiresApproval: true, run: () => 'added' });
    const tools = await request(gateway, 'GET', '/tools');
    expect(tools.body.tools).toEqual([{ name: 'notes.add', description: 'adds a note', requires_approval: true, args_schema: noteSchema }]);
    const openapi = await request(gateway, 'GET', '/openapi.json');
    const schemas = (openapi.body.components as { schemas: Record<string, unknown> }).schemas;
    expect(schemas['ToolArgs_notes.add']).toEqual(noteSchema);
    const validator = new Validator();
    const result = await validator.validate(openapi.body);
    expect(result.errors ?? []).toEqual([]);
  });

  it('keeps its own copy of the schema: changing the object later changes nothing', async () => {
    const gateway = newGateway();
    const schema = { type: 'object', properties: { n: { type: 'number' } } };
    gateway.registerTool({ name: 'n', description: 'n', inputSchema: schema, run: () => 'ok' });
    schema.properties.n.type = 'string';
    await expect(gateway.checkArgs('n', { n: 1 })).resolves.toEqual([]);
    expect(gateway.tools.list()[0]?.args_schema).toEqual({ type: 'object', properties: { n: { type: 'number' } } });
  });

  it.each([
    ['a keyword of the wrong type', { type: 'object', required: 'title' }, /not a valid JSON Schema/],
    ['an unknown type', { type: 'strin' }, /not a valid JSON Schema/],
    ['a $ref to somewhere it cannot read', { $ref: 'https://example.com/schema.json' }, /not a valid JSON Schema/],
    ['a dialect it does not speak', { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }, /draft-04/],
    ['an array, not a schema object', [], /JSON Schema object/],
  ])('refuses to register a tool whose schema has %s, and keeps the others', (_what, inputSchema, message) => {
    const registry = new ToolRegistry();
    registry.register({ name: 'good', description: 'g', inputSchema: { type: 'object' }, run: () => 'ok' });
    expect(() => registry.register({ name: 'bad', description: 'b', inputSchema: inputSchema as JsonSchema, run: () => 'ok' })).toThrow(message);
    expect(() => registry.register({ name: 'bad', description: 'b', inputSchema: inputSchema as JsonSchema, run: () => 'ok' })).toThrow(/tool "bad"/);
    expect(registry.list().map((tool) => tool.name)).toEqual(['good']);
  });

  it('refuses a schema that is not JSON (a cycle), and a definition with both args and inputSchema', () => {
    const registry = new ToolRegistry();
    const cyclic: Record<string, unknown> = { type: 'object' };
    cyclic.self = cyclic;
    expect(() => registry.register({ name: 'cyclic', description: 'c', inputSchema: cyclic, run: () => 'ok' })).toThrow(/not JSON/);
    const both = { name: 'both', description: 'b', inputSchema: { type: 'object' }, args: z.object({}), run: () => 'ok' };
    expect(() => registry.register(both as never)).toThrow(/not both/);
    expect(registry.size).toBe(0);
  });

  it('validates draft-07 schemas as draft-07 (tuple items) and 2020-12 ones as 2020-12 (prefixItems)', async () => {
    const registry = new ToolRegistry();
    registry.register({
      name: 'd7',
      description: 'draft-07',
      inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } } },
      run: () => 'ok',
    });
    registry.register({
      name: 'd2020',
      description: '2020-12',
      inputSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] } } },
      run: () => 'ok',
    });
    for (const name of ['d7', 'd2020']) {
      const tool = registry.get(name);
      expect((await tool?.checkArgs({ pair: ['a', 1] }))?.ok).toBe(true);
      expect((await tool?.checkArgs({ pair: [1, 'a'] }))?.ok).toBe(false);
    }
  });

  it('compiles two tools that share an $id each on its own', async () => {
    const registry = new ToolRegistry();
    registry.register({ name: 'a', description: 'a', inputSchema: { $id: 'https://example.com/same.json', type: 'object', required: ['x'] }, run: () => 'ok' });
    registry.register({ name: 'b', description: 'b', inputSchema: { $id: 'https://example.com/same.json', type: 'object', required: ['y'] }, run: () => 'ok' });
    expect((await registry.get('a')?.checkArgs({ x: 1 }))?.ok).toBe(true);
    expect((await registry.get('b')?.checkArgs({ x: 1 }))?.ok).toBe(false);
  });

  it('unregisters a tool: gone from /tools, its calls 404, announced, and the name free again', async () => {
    const gateway = newGateway();
    const events: string[] = [];
    gateway.events.on('tool.unregistered', ({ tool }) => events.push(tool));
    gateway.registerTool({ name: 'up.read', description: 'r', inputSchema: { type: 'object' }, run: () => 'v1' });
    expect(gateway.unregisterTool('up.read')).toBe(true);
    expect(gateway.unregisterTool('up.read')).toBe(false);
    expect(events).toEqual(['up.read']);
    expect((await request(gateway, 'GET', '/tools')).body.tools).toEqual([]);
    await expect(gateway.callTool({ tool: 'up.read', args: {} })).rejects.toMatchObject({ code: 'tool_not_found' });
    gateway.registerTool({ name: 'up.read', description: 'r', inputSchema: { type: 'object' }, run: () => 'v2' });
    await expect(gateway.callTool({ tool: 'up.read', args: {} }, { caller: systemCaller('t') })).resolves.toMatchObject({ result: 'v2' });
  });
});

describe('/openapi.json with schemas that refer to their own parts', () => {
  it('points #/$defs references into the tool\'s component, for JSON Schema and recursive zod tools alike', async () => {
    const gateway = newGateway();
    gateway.registerTool({
      name: 'tree.json',
      description: 'j',
      inputSchema: { type: 'object', properties: { root: { $ref: '#/$defs/node' } }, $defs: { node: { type: 'object', properties: { kids: { type: 'array', items: { $ref: '#/$defs/node' } } } } } },
      run: () => 'ok',
    });
    const Node: z.ZodType = z.object({ name: z.string(), get children() {
      return z.array(Node);
    } });
    gateway.registerTool({ name: 'tree.zod', description: 'z', args: z.object({ root: Node }), run: () => 'ok' });
    const openapi = await request(gateway, 'GET', '/openapi.json');
    const schemas = (openapi.body.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['ToolArgs_tree.json']).toMatchObject({
      properties: { root: { $ref: '#/components/schemas/ToolArgs_tree.json/$defs/node' } },
      $defs: { node: { properties: { kids: { items: { $ref: '#/components/schemas/ToolArgs_tree.json/$defs/node' } } } } },
    });
    expect(JSON.stringify(schemas['ToolArgs_tree.zod'])).toContain('"$ref":"#/components/schemas/ToolArgs_tree.zod/$defs/');
    expect(JSON.stringify(schemas['ToolArgs_tree.zod'])).not.toContain('"$ref":"#/$defs');
    const result = await new Validator().validate(openapi.body);
    expect(result.errors ?? []).toEqual([]);
    // The listing keeps the schema as the tool gave it.
    expect(gateway.tools.get('tree.json')?.listing.args_schema).toMatchObject({ properties: { root: { $ref: '#/$defs/node' } } });
  });

  it('leaves a $ref key inside a value (const, enum, default, examples) as it is: it is data', async () => {
    const gateway = newGateway();
    gateway.registerTool({ name: 'data', description: 'd', inputSchema: { type: 'object', properties: { tag: { const: { $ref: '#/data' } } } }, run: () => 'ok' });
    const openapi = await request(gateway, 'GET', '/openapi.json');
    const schemas = (openapi.body.components as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['ToolArgs_data']).toMatchObject({ properties: { tag: { const: { $ref: '#/data' } } } });
  });
});

describe('a JSON Schema pattern that backtracks catastrophically', () => {
  it('is cut off: the call is refused with 422 instead of holding the event loop', async () => {
    const gateway = newGateway();
    gateway.registerTool({ name: 'evil', description: 'e', inputSchema: { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } }, run: () => 'ran' });
    // 2^40 steps without the limit: the test would never finish.
    await expect(gateway.callTool({ tool: 'evil', args: { s: `${'a'.repeat(40)}!` } }, { caller: systemCaller('t') })).rejects.toMatchObject({ code: 'invalid_args' });
    await expect(gateway.callTool({ tool: 'evil', args: { s: 'aaa' } }, { caller: systemCaller('t') })).resolves.toMatchObject({ result: 'ran' });
  });

  it('keeps each pattern apart (patterns are cached by their text)', async () => {
    const registry = new ToolRegistry();
    registry.register({ name: 'p', description: 'p', inputSchema: { type: 'object', properties: { a: { pattern: '^a+$' }, b: { pattern: '^b+$' } }, patternProperties: { '^x': { type: 'number' } } }, run: () => 'ok' });
    const tool = registry.get('p');
    expect((await tool?.checkArgs({ a: 'aa', b: 'bb', x1: 1 }))?.ok).toBe(true);
    expect((await tool?.checkArgs({ a: 'bb' }))?.ok).toBe(false);
    expect((await tool?.checkArgs({ b: 'aa' }))?.ok).toBe(false);
    expect((await tool?.checkArgs({ x1: 'one' }))?.ok).toBe(false);
  });
});
