import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '@agent-gateway/core';
import { loadUpstreamsFile, mcpUpstreams, type UpstreamConfig } from '../../src/index.js';

describe('upstream configuration', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'upstreams-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('MCP_UPSTREAMS_FILE is read into the config', () => {
    expect(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'x', MCP_UPSTREAMS_FILE: ' /etc/upstreams.json ' }).mcp.upstreamsFile).toBe('/etc/upstreams.json');
    expect(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'x' }).mcp.upstreamsFile).toBeUndefined();
  });

  it("reads {upstreams: [...]} and runs stdio servers in the file's folder unless they name a cwd", async () => {
    const path = join(dir, 'upstreams.json');
    await writeFile(
      path,
      JSON.stringify({
        upstreams: [
          { name: 'here', transport: { kind: 'stdio', command: 'server', args: ['./scratch'] } },
          { name: 'there', transport: { kind: 'stdio', command: 'server', cwd: 'sub' } },
          { name: 'web', transport: { kind: 'http', url: 'http://127.0.0.1:9/mcp' } },
        ],
      }),
    );
    const [here, there, web] = loadUpstreamsFile(path);
    expect(here?.transport).toMatchObject({ cwd: dir, args: ['./scratch'] });
    expect(there?.transport).toMatchObject({ cwd: join(dir, 'sub') });
    expect(web?.transport).toEqual({ kind: 'http', url: 'http://127.0.0.1:9/mcp' });
  });

  it('refuses a file that is not JSON or not a list of upstreams, naming the file', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ not json');
    expect(() => loadUpstreamsFile(broken)).toThrow(/MCP_UPSTREAMS_FILE .*broken\.json/);
    const wrong = join(dir, 'wrong.json');
    await writeFile(wrong, '{"servers": {}}');
    expect(() => loadUpstreamsFile(wrong)).toThrow(/expected \{"upstreams"/);
    expect(() => loadUpstreamsFile(join(dir, 'missing.json'))).toThrow(/ENOENT/);
  });

  it('refuses a bad configuration at once, every problem naming its upstream', () => {
    const upstreams = [
      { name: 'ok', transport: { kind: 'stdio', command: 'x' } },
      { name: 'ok', transport: { kind: 'stdio', command: 'y' } },
      { name: '9bad', transport: { kind: 'http', url: 'ftp://example.com' } },
      { name: 'creds', transport: { kind: 'stdio', command: 'x', env: { 'NOT A NAME': 'v' } }, credentials: [{ secret: 'k', env: 'TOKEN', header: 'X' }] },
    ] as unknown as UpstreamConfig[];
    let message = '';
    try {
      mcpUpstreams({ upstreams });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/upstream "ok": the name is used twice/);
    expect(message).toMatch(/upstream "9bad": name/);
    expect(message).toMatch(/upstream "9bad": transport.url/);
    expect(message).toMatch(/upstream "creds": transport.env/);
    expect(message).toMatch(/upstream "creds": credentials.0/);
  });
});
