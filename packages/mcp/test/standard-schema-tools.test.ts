import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z as zod3 } from 'zod3';
import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { listenOnLoopback, type RunningServer } from '@agent-gateway/conformance';
import type { Client } from '@modelcontextprotocol/client';
import { mcpPlugin } from '../src/index.js';
import { connectClient, textOf } from './support/mcp-fixture.js';

/** The tools of a host on zod 3 (its JSON Schema given, as zod 3 cannot write one) and of one on valibot. */
function registerHostTools(gateway: Gateway): void {
  gateway.registerTool({
    name: 'zod3.greet',
    description: 'Greets, from a zod 3 host',
    args: zod3.object({ name: zod3.string().min(1), times: zod3.number().int().default(1) }),
    jsonSchema: { type: 'object', properties: { name: { type: 'string', minLength: 1 }, times: { type: 'integer', default: 1 } }, required: ['name'] },
    run: ({ name, times }) => ({ greeting: `hello ${name}`.repeat(times) }),
  });
  gateway.registerTool({
    name: 'valibot.greet',
    description: 'Greets, from a valibot host',
    args: toStandardJsonSchema(v.object({ name: v.pipe(v.string(), v.minLength(1)) })),
    output: toStandardJsonSchema(v.object({ greeting: v.string() })),
    run: ({ name }) => ({ greeting: `hello ${name}` }),
  });
}

describe('MCP tools whose args are a zod 3 or valibot schema', () => {
  let gateway: Gateway;
  let server: RunningServer;
  let client: Client;
  beforeAll(async () => {
    gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } }, plugins: [mcpPlugin()] });
    registerHostTools(gateway);
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    const { accessToken } = await gateway.auth.login('agent', 'agent-password', { address: 'test' });
    server = await listenOnLoopback(gateway.nodeListener());
    client = await connectClient(new URL(`${server.baseUrl}/mcp`), accessToken, 'modern');
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await gateway?.close();
  });

  it('lists each with its JSON Schema as inputSchema (and the result schema valibot writes as outputSchema)', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get('zod3.greet')?.inputSchema).toMatchObject({ type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] });
    expect(byName.get('valibot.greet')).toMatchObject({
      inputSchema: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
      outputSchema: { type: 'object', properties: { greeting: { type: 'string' } } },
    });
  });

  it('calls them through the pipeline, and answers args that do not fit with the schema issues', async () => {
    const greeted = await client.callTool({ name: 'zod3.greet', arguments: { name: 'ann', times: 2 } });
    expect(JSON.parse(textOf(greeted))).toEqual({ greeting: 'hello annhello ann' });
    const structured = await client.callTool({ name: 'valibot.greet', arguments: { name: 'bo' } });
    expect(structured.structuredContent).toEqual({ greeting: 'hello bo' });
    for (const name of ['zod3.greet', 'valibot.greet']) {
      const refused = await client.callTool({ name, arguments: { name: '' } });
      expect(refused.isError, name).toBe(true);
      expect(textOf(refused)).toMatch(/^invalid_args: .*name: /);
      expect(refused._meta?.['agent-gateway/error']).toEqual({ code: 'invalid_args', status: 422 });
    }
  });
});
