import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCaller } from '@agent-gateway/core';
import { login, USERS } from '@agent-gateway/conformance';
import { ProtocolError, type Client } from '@modelcontextprotocol/client';
import { connectClient, ERAS, MOUNTS, startMcpGateway, textOf, type McpGateway } from './support/mcp-fixture.js';

const CALL_ID = 'agent-gateway/call_id';
const ERROR = 'agent-gateway/error';

describe.each(MOUNTS)('MCP tools, served by %s', (mount) => {
  let served: McpGateway;
  beforeAll(async () => {
    served = await startMcpGateway(mount);
  });
  afterAll(async () => {
    await served?.close();
  });

  describe.each(ERAS)('%s client', (era) => {
    let client: Client;
    beforeAll(async () => {
      client = await connectClient(served.mcpUrl, served.tokens.agent, era);
    });
    afterAll(async () => {
      await client?.close();
    });

    it('lists the tools with their JSON Schema (2020-12), description and annotations', async () => {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((tool) => [tool.name, tool]));
      expect([...byName.keys()]).toEqual(expect.arrayContaining(['echo', 'math.add', 'risky', 'form.fill', 'lookup']));
      expect(byName.get('echo')).toMatchObject({
        description: 'Returns its text',
        inputSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      });
      expect(byName.get('echo')?.annotations).toBeUndefined();
      // Needs approval (always, or per call): destructive.
      expect(byName.get('risky')?.annotations).toEqual({ destructiveHint: true });
      expect(byName.get('form.fill')).toMatchObject({ annotations: { destructiveHint: true }, _meta: { 'agent-gateway/requires_approval': 'per_call' } });
      expect(byName.get('lookup')).toMatchObject({
        title: 'Look up',
        annotations: { readOnlyHint: true, idempotentHint: true, title: 'Look up' },
        outputSchema: { type: 'object', properties: { id: { type: 'string' }, length: { type: 'number' } } },
      });
    });

    it('calls a tool through the pipeline: the result as JSON text, the call id in _meta', async () => {
      const result = await client.callTool({ name: 'math.add', arguments: { a: 2, b: 3 } });
      expect(result.isError).not.toBe(true);
      expect(JSON.parse(textOf(result))).toEqual({ sum: 5 });
      expect(result._meta?.[CALL_ID]).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.structuredContent).toBeUndefined();
    });

    it('gives structuredContent for a tool that declares its result schema', async () => {
      const result = await client.callTool({ name: 'lookup', arguments: { id: 'abcd' } });
      expect(result.structuredContent).toEqual({ id: 'abcd', length: 4 });
      expect(JSON.parse(textOf(result))).toEqual({ id: 'abcd', length: 4 });
    });

    it('answers invalid args with a tool error that lists every issue, so the model can correct itself', async () => {
      const result = await client.callTool({ name: 'math.add', arguments: { a: 'two', c: 1 } });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^invalid_args: /);
      expect(textOf(result)).toContain('a: Invalid input: expected number, received string');
      expect(result._meta?.[ERROR]).toEqual({ code: 'invalid_args', status: 422 });
    });

    it('answers an unknown tool with the protocol error -32602', async () => {
      const error = await client.callTool({ name: 'no.such.tool', arguments: {} }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ code: -32602, message: expect.stringContaining('Unknown tool: no.such.tool') });
    });

    it("reports a tool's own failure as a tool error, and a plain exception without its message", async () => {
      const own = await client.callTool({ name: 'fail.tool', arguments: {} });
      expect(own).toMatchObject({ isError: true, _meta: { [ERROR]: { code: 'quota_reached', status: 429 } } });
      const plain = await client.callTool({ name: 'fail.plain', arguments: {} });
      expect(plain).toMatchObject({ isError: true, _meta: { [ERROR]: { code: 'tool_failed', status: 500 } } });
      expect(JSON.stringify(plain)).not.toContain('hunter2');
    });

    it("lists only what a caller's allow-list permits, and refuses the rest as a tool error", async () => {
      const narrow = await connectClient(served.mcpUrl, served.tokens.mathAgent, era);
      const names = (await narrow.listTools()).tools.map((tool) => tool.name);
      expect(names.sort()).toEqual(['math.add', 'record.keys']);
      expect(JSON.parse(textOf(await narrow.callTool({ name: 'math.add', arguments: { a: 1 } })))).toEqual({ sum: 1 });
      const refused = await narrow.callTool({ name: 'echo', arguments: { text: 'x' } });
      expect(refused).toMatchObject({ isError: true, _meta: { [ERROR]: { code: 'tool_not_allowed', status: 403 } } });
      await narrow.close();
    });

    it('shows an approver (a role that does not call tools) no tools at all', async () => {
      const approver = await connectClient(served.mcpUrl, served.tokens.approver, era);
      expect((await approver.listTools()).tools).toEqual([]);
      await approver.close();
    });

    it('says in the list that the kill switch is on, fails every call, and serves again once it is off', async () => {
      const admin = systemCaller('test-admin');
      await served.gateway.guards.setKillSwitch(true, 'incident 42', admin);
      try {
        const listed = await client.listTools();
        expect(listed._meta?.['agent-gateway/kill_switch']).toBe('on');
        expect(listed.tools.find((tool) => tool.name === 'echo')?.description).toMatch(/kill switch is on/);
        const refused = await client.callTool({ name: 'echo', arguments: { text: 'x' } });
        expect(refused).toMatchObject({ isError: true, _meta: { [ERROR]: { code: 'kill_switch_on', status: 423 } } });
        // The operator's reason is for admins, not agents.
        expect(JSON.stringify(refused)).not.toContain('incident 42');
      } finally {
        await served.gateway.guards.setKillSwitch(false, undefined, admin);
      }
      expect((await client.listTools())._meta?.['agent-gateway/kill_switch']).toBeUndefined();
      expect((await client.callTool({ name: 'echo', arguments: { text: 'back' } })).isError).not.toBe(true);
    });

    it('refuses calls over a rate limit with a tool error that says when to retry', async () => {
      // A token of its own: the limit is per token, two calls a minute for `limited`.
      const session = await login(served.baseUrl, USERS.agent);
      const limited = await connectClient(served.mcpUrl, session.token, era);
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push(await limited.callTool({ name: 'limited', arguments: {} }));
      expect(results.map((result) => result.isError === true)).toEqual([false, false, true]);
      expect(results[2]).toMatchObject({ _meta: { [ERROR]: { code: 'rate_limited', status: 429, retry_after_seconds: expect.any(Number) } } });
      await limited.close();
    });
  });
});
