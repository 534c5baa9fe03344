import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '@agent-gateway/conformance';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { mcpPlugin } from '../../src/index.js';
import { FILESYSTEM_SERVER, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

interface Listing {
  name: string;
  requires_approval: boolean | 'per_call';
  args_schema: Record<string, unknown>;
  hints?: Record<string, unknown>;
}

describe('@modelcontextprotocol/server-filesystem behind the gateway (stdio)', () => {
  let root = '';
  let outside = '';
  let served: UpstreamGateway;

  beforeAll(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'fs-upstream-')));
    outside = await realpath(await mkdtemp(join(tmpdir(), 'fs-outside-')));
    await writeFile(join(root, 'hello.txt'), 'hello from the scratch folder\n');
    await writeFile(join(outside, 'secret.txt'), 'not yours\n');
    served = await startUpstreamGateway([{ name: 'fs', transport: stdio(FILESYSTEM_SERVER, [root]) }], [mcpPlugin()]);
  }, 60_000);

  afterAll(async () => {
    await served?.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('lists its tools namespaced on GET /tools, with its own JSON Schema and approval from its annotations', async () => {
    const response = await served.get('/tools');
    const tools = response.json<{ tools: Listing[] }>().tools;
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    for (const name of ['fs.read_text_file', 'fs.write_file', 'fs.move_file', 'fs.list_directory', 'fs.edit_file']) expect(byName.has(name), name).toBe(true);
    expect(byName.get('echo')).toBeDefined();
    // readOnlyHint: runs at once; destructive or not read-only: held for a person.
    expect(byName.get('fs.read_text_file')?.requires_approval).toBe(false);
    expect(byName.get('fs.write_file')?.requires_approval).toBe(true);
    expect(byName.get('fs.move_file')?.requires_approval).toBe(true);
    expect(byName.get('fs.read_text_file')?.hints).toMatchObject({ readOnly: true });
    expect(byName.get('fs.read_text_file')?.args_schema).toMatchObject({ type: 'object', properties: { path: { type: 'string' } }, required: ['path'] });
  });

  it('lists them on the MCP endpoint too, for an MCP client of the gateway', async () => {
    const client = new Client({ name: 'upstream-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${served.baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${served.tokens.agent}` } } }));
    try {
      const { tools } = await client.listTools();
      const read = tools.find((tool) => tool.name === 'fs.read_text_file');
      expect(read?.inputSchema).toMatchObject({ type: 'object', required: ['path'] });
      expect(tools.find((tool) => tool.name === 'fs.write_file')?.annotations).toMatchObject({ destructiveHint: true });
    } finally {
      await client.close();
    }
  });

  it('reads a file: the call runs and the upstream result comes back unchanged', async () => {
    const response = await served.call('fs.read_text_file', { path: join(root, 'hello.txt') });
    expect(response.status, response.text).toBe(200);
    const { result } = response.json<{ result: CallToolResult }>();
    expect(result.content).toEqual([{ type: 'text', text: 'hello from the scratch folder\n' }]);
    expect(result.isError).toBeUndefined();
    expect(result.structuredContent).toEqual({ content: 'hello from the scratch folder\n' });
  });

  it('an MCP client of the gateway gets the upstream result as the upstream sent it, with the call id in _meta', async () => {
    const client = new Client({ name: 'upstream-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${served.baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${served.tokens.agent}` } } }));
    try {
      const result = (await client.callTool({ name: 'fs.read_text_file', arguments: { path: join(root, 'hello.txt') } })) as CallToolResult;
      expect(result.content).toEqual([{ type: 'text', text: 'hello from the scratch folder\n' }]);
      expect(result.structuredContent).toEqual({ content: 'hello from the scratch folder\n' });
      expect(result._meta?.['agent-gateway/call_id']).toEqual(expect.any(String));
    } finally {
      await client.close();
    }
  });

  it('checks args against the upstream schema before anything runs: 422 invalid_args', async () => {
    const response = await served.call('fs.read_text_file', { head: 'ten' });
    expect(response.status).toBe(422);
    const error = response.json<{ error: { code: string; issues: Array<{ path: string }> } }>().error;
    expect(error.code).toBe('invalid_args');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['head', 'path']);
  });

  it('holds a write for approval; approved by another user, the file exists with its content', async () => {
    const target = join(root, 'approved.txt');
    const response = await served.call('fs.write_file', { path: target, content: 'written after approval' });
    expect(response.status, response.text).toBe(202);
    const { approval_id: approvalId } = response.json<{ approval_id: string }>();
    expect(existsSync(target)).toBe(false);

    const decided = await postDecision(served, approvalId, 'approve', served.tokens.admin);
    expect(decided.status, decided.text).toBe(200);
    expect(decided.json<{ state: string }>().state).toBe('executed');
    expect(await readFile(target, 'utf8')).toBe('written after approval');
  });

  it('holds a write for approval; rejected, the file never appears', async () => {
    const target = join(root, 'rejected.txt');
    const response = await served.call('fs.write_file', { path: target, content: 'never written' });
    expect(response.status).toBe(202);
    const { approval_id: approvalId } = response.json<{ approval_id: string }>();
    const decided = await postDecision(served, approvalId, 'reject', served.tokens.approver);
    expect(decided.status, decided.text).toBe(200);
    expect(decided.json<{ state: string }>().state).toBe('rejected');
    expect(existsSync(target)).toBe(false);
  });

  it('a path outside its root is refused by the upstream and passed through as a tool error', async () => {
    const response = await served.call('fs.read_text_file', { path: join(outside, 'secret.txt') });
    expect(response.status, response.text).toBe(200);
    const { result } = response.json<{ result: CallToolResult }>();
    expect(result.isError).toBe(true);
    const text = result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    expect(text).toMatch(/access denied|outside allowed/i);
    expect(text).not.toContain('not yours');
  });

  it('shows the upstream as up on /health/upstreams, and its metrics on /metrics', async () => {
    const health = await served.get('/health/upstreams');
    expect(health.status).toBe(200);
    const [fs] = health.json<{ upstreams: Array<Record<string, unknown>> }>().upstreams;
    expect(fs).toMatchObject({ name: 'fs', transport: 'stdio', up: true, state: 'up', era: 'legacy', skipped: [] });
    expect(fs?.tools).toContain('fs.write_file');

    const metrics = (await served.get('/metrics')).text;
    expect(metrics).toContain('mcp_upstream_up{upstream="fs"} 1');
    expect(metrics).toMatch(/mcp_upstream_calls_total\{upstream="fs",tool="read_text_file",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/mcp_upstream_calls_total\{upstream="fs",tool="read_text_file",outcome="tool_error"\} [1-9]/);
    expect(metrics).toMatch(/mcp_upstream_call_duration_seconds_count\{upstream="fs",tool="read_text_file"\} [1-9]/);
  });
});

function postDecision(served: UpstreamGateway, id: string, decision: 'approve' | 'reject', token: string) {
  return postJson(`${served.baseUrl}/approvals/${id}/${decision}`, {}, token);
}
