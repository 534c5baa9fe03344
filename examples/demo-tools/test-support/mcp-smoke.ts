import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExample, type Started } from './runbook-smoke.js';

const run = promisify(execFile);

/** The Inspector's CLI (a client on the v1 SDK, from the MCP project itself), as a user runs it. */
async function inspector(url: string, token: string, args: string[]): Promise<unknown> {
  const build = join(dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/inspector-cli/package.json')), 'build');
  // It finds its own package.json relative to the working directory.
  const { stdout } = await run(process.execPath, [join(build, 'index.js'), url, '--transport', 'http', '--header', `Authorization: Bearer ${token}`, ...args], { cwd: build, timeout: 30_000 });
  return JSON.parse(stdout) as unknown;
}

function workEnv(workDir: string): Record<string, string> {
  return {
    AGENT_GATEWAY_ADMIN_PASS: 'x',
    SCRATCH_DIR: join(workDir, 'scratch'),
    AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
    AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
    AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
    SANDBOX_POOL_SIZE: '1',
  };
}

/**
 * The "done when", against the example server as `npm start` runs it: an MCP client with a
 * token from /admin/login lists the demo tools, calls echo, and a file.write completes only after
 * someone else approves it; the MCP Inspector's CLI does the same with a bearer header; and
 * MCP_ENABLED=false takes the endpoint away.
 */
export function describeMcpSmoke(framework: string, exampleDir: string): void {
  describe(`examples/${framework}-server: MCP at /mcp`, () => {
    let workDir: string;
    let server: Started;
    let base: string;
    const post = async (path: string, body: unknown, token?: string): Promise<Response> =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(body),
      });
    const tokenOf = async (username: string, password: string): Promise<string> => ((await (await post('/admin/login', { username, password })).json()) as { token: string }).token;

    beforeAll(async () => {
      if (!existsSync(resolve(exampleDir, '../../packages/mcp/dist/index.js'))) throw new Error('the packages are not built: run `npm run build` (npm test does it first)');
      workDir = await mkdtemp(join(tmpdir(), 'mcp-example-'));
      server = startExample(exampleDir, workEnv(workDir));
      base = await server.url;
      const admin = await tokenOf('admin', 'x');
      expect((await post('/admin/users', { username: 'bot', password: 'bot-password', role: 'agent' }, admin)).status).toBe(201);
    });
    afterAll(async () => {
      if (server?.child.exitCode === null) server.child.kill('SIGKILL');
      await rm(workDir, { recursive: true, force: true });
    });

    it('an MCP client lists echo, file.write and sandbox.echo, calls echo, and file.write runs only once approved', async () => {
      const client = new Client({ name: 'smoke', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${await tokenOf('bot', 'bot-password')}` } } });
      await client.connect(transport);
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['echo', 'file.write', 'sandbox.echo']));
      const echo = await client.callTool({ name: 'echo', arguments: { text: 'over MCP' } });
      expect(echo.content).toEqual([{ type: 'text', text: '{"text":"over MCP"}' }]);

      const written = client.callTool({ name: 'file.write', arguments: { path: 'mcp.txt', content: 'approved over MCP' } });
      const admin = await tokenOf('admin', 'x');
      let id: string | undefined;
      for (let tries = 0; tries < 200 && id === undefined; tries += 1) {
        const listed = (await (await fetch(`${base}/approvals`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { approvals: Array<{ id: string; tool: string }> };
        id = listed.approvals.find((approval) => approval.tool === 'file.write')?.id;
        if (id === undefined) await new Promise((done) => setTimeout(done, 25));
      }
      expect(existsSync(join(workDir, 'scratch', 'mcp.txt'))).toBe(false);
      expect((await fetch(`${base}/approvals/${String(id)}/approve`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
      const result = await written;
      expect(result.isError).not.toBe(true);
      expect(await readFile(join(workDir, 'scratch', 'mcp.txt'), 'utf8')).toBe('approved over MCP');
      await client.close();
    });

    it("the MCP Inspector's CLI lists and calls a tool with a bearer header", async () => {
      const token = await tokenOf('bot', 'bot-password');
      const listed = (await inspector(`${base}/mcp`, token, ['--method', 'tools/list'])) as { tools: Array<{ name: string }> };
      expect(listed.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'file.write', 'sandbox.echo']));
      const called = await inspector(`${base}/mcp`, token, ['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'text=from the inspector']);
      expect(called).toMatchObject({ content: [{ type: 'text', text: '{"text":"from the inspector"}' }] });
    });

    it('MCP_ENABLED=false serves no /mcp', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'mcp-off-'));
      const off = startExample(exampleDir, { ...workEnv(dir), MCP_ENABLED: 'false' });
      try {
        const offBase = await off.url;
        const response = await fetch(`${offBase}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(response.status).toBe(404);
        expect((await fetch(`${offBase}/health`)).status).toBe(200);
      } finally {
        off.child.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
