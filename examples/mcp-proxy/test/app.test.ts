import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, systemCaller, type Gateway } from '@agent-gateway/core';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { upstreamConfigSchema } from '@agent-gateway/mcp';
import { buildApp, DEFAULT_UPSTREAMS_FILE } from '../src/app.js';

interface UpstreamsFile {
  upstreams: Array<{ transport: { args: string[] } }>;
}

const json = { 'content-type': 'application/json' };

describe('examples/mcp-proxy: the filesystem MCP server behind the gateway', () => {
  let workDir = '';
  let scratch = '';
  let gateway: Gateway;
  let server: Server;
  let base = '';
  let agent = '';
  let admin = '';

  const call = async (tool: string, args: unknown) =>
    fetch(`${base}/tools/call`, { method: 'POST', headers: { ...json, authorization: `Bearer ${agent}` }, body: JSON.stringify({ tool, args }) });

  beforeAll(async () => {
    workDir = await realpath(await mkdtemp(join(tmpdir(), 'mcp-proxy-example-')));
    scratch = join(workDir, 'scratch');
    await mkdir(scratch);
    await writeFile(join(scratch, 'notes.txt'), 'first note\n');
    // The example's own upstreams file (npx server-filesystem), pointed at this test's scratch folder.
    const file = JSON.parse(await readFile(DEFAULT_UPSTREAMS_FILE, 'utf8')) as UpstreamsFile;
    const args = file.upstreams[0]?.transport.args ?? [];
    args[args.length - 1] = scratch;
    await writeFile(join(workDir, 'upstreams.json'), JSON.stringify(file));
    gateway = await buildApp(
      {
        AGENT_GATEWAY_ADMIN_PASS: 'admin-password',
        AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
        AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
        AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
        MCP_UPSTREAMS_FILE: join(workDir, 'upstreams.json'),
      },
      { logger: silentLogger },
    );
    await gateway.auth.createUser({ username: 'claude', password: 'claude-password', role: 'agent' }, { actor: systemCaller('test') });
    server = createServer(gateway.nodeListener());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const login = async (username: string, password: string) =>
      ((await (await fetch(`${base}/admin/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) })).json()) as { token: string }).token;
    agent = await login('claude', 'claude-password');
    admin = await login('admin', 'admin-password');
  }, 120_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    await gateway?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('ships an upstreams file that the plugin accepts', async () => {
    const file = JSON.parse(await readFile(DEFAULT_UPSTREAMS_FILE, 'utf8')) as { upstreams: unknown[] };
    for (const upstream of file.upstreams) expect(upstreamConfigSchema.safeParse(upstream).success).toBe(true);
  });

  it('reads run at once', async () => {
    const response = await call('fs.read_text_file', { path: join(scratch, 'notes.txt') });
    expect(response.status).toBe(200);
    const { result } = (await response.json()) as { result: CallToolResult };
    expect(result.content).toEqual([{ type: 'text', text: 'first note\n' }]);
  });

  it('a write waits for a person; approved, it happens', async () => {
    const target = join(scratch, 'plan.md');
    const held = await call('fs.write_file', { path: target, content: '# plan\n' });
    expect(held.status).toBe(202);
    expect(existsSync(target)).toBe(false);
    const { approval_id: id } = (await held.json()) as { approval_id: string };
    const approved = await fetch(`${base}/approvals/${id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(approved.status).toBe(200);
    expect(await readFile(target, 'utf8')).toBe('# plan\n');
  });

  it('a move waits too; rejected, nothing moves', async () => {
    const held = await call('fs.move_file', { source: join(scratch, 'notes.txt'), destination: join(scratch, 'moved.txt') });
    expect(held.status).toBe(202);
    const { approval_id: id } = (await held.json()) as { approval_id: string };
    const rejected = await fetch(`${base}/approvals/${id}/reject`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    expect(rejected.status).toBe(200);
    expect(existsSync(join(scratch, 'notes.txt'))).toBe(true);
    expect(existsSync(join(scratch, 'moved.txt'))).toBe(false);
  });

  it('an MCP client pointed at the gateway instead of the server sees the same tools', async () => {
    const client = new Client({ name: 'example-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${agent}` } } }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['fs.read_text_file', 'fs.write_file', 'fs.move_file']));
      const read = await client.callTool({ name: 'fs.list_directory', arguments: { path: scratch } });
      expect(JSON.stringify(read.content)).toContain('notes.txt');
    } finally {
      await client.close();
    }
  });
});
