import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../../src/index.js';
import { startHttpEverything } from './support/everything-http.js';
import { EVERYTHING_SERVER, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

const textOf = (result: CallToolResult) => result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');

describe.each(['stdio', 'http'] as const)('@modelcontextprotocol/server-everything over %s', (kind) => {
  let served: UpstreamGateway;
  let httpServer: ChildProcess | undefined;

  beforeAll(async () => {
    let transport: UpstreamConfig['transport'] = stdio(EVERYTHING_SERVER, ['stdio']);
    if (kind === 'http') {
      const started = await startHttpEverything();
      httpServer = started.child;
      transport = { kind: 'http', url: started.url };
    }
    served = await startUpstreamGateway([{ name: 'everything', transport, timeoutMs: 20_000 }]);
  }, 60_000);

  afterAll(async () => {
    await served?.close();
    httpServer?.kill('SIGKILL');
  });

  const result = async (tool: string, args: unknown): Promise<CallToolResult> => {
    const response = await served.call(`everything.${tool}`, args);
    expect(response.status, response.text).toBe(200);
    return response.json<{ result: CallToolResult }>().result;
  };

  it('connects in the era the server speaks and registers its tools', async () => {
    const health = (await served.get('/health/upstreams')).json<{ upstreams: Array<{ state: string; era: string; tools: string[]; skipped: unknown[] }> }>();
    const [everything] = health.upstreams;
    expect(everything).toMatchObject({ state: 'up', era: 'legacy', skipped: [] });
    expect(everything?.tools).toEqual(expect.arrayContaining(['everything.echo', 'everything.get-tiny-image', 'everything.trigger-long-running-operation']));
  });

  it('a text tool', async () => {
    expect(textOf(await result('echo', { message: 'hello upstream' }))).toBe('Echo: hello upstream');
  });

  it('an image result, passed through as the upstream sent it', async () => {
    const image = (await result('get-tiny-image', {})).content.find((block) => block.type === 'image');
    expect(image).toMatchObject({ type: 'image', mimeType: 'image/png' });
    expect(image?.type === 'image' && Buffer.from(image.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('structured content, passed through', async () => {
    const structured = await result('get-structured-content', { location: 'New York' });
    expect(structured.structuredContent).toMatchObject({ temperature: expect.any(Number) });
  });

  it('a long-running tool (it reports progress upstream) completes', async () => {
    expect(textOf(await result('trigger-long-running-operation', { duration: 0.3, steps: 3 }))).toMatch(/Long running operation completed/);
  });

  it("a tool error is the upstream's result with isError, not a gateway error", async () => {
    const failed = await result('get-resource-reference', { resourceId: 0 });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/Invalid resourceId/);
  });

  it('holds the tools its annotations do not call read-only', async () => {
    const tools = (await served.get('/tools')).json<{ tools: Array<{ name: string; requires_approval: unknown }> }>().tools;
    const approval = Object.fromEntries(tools.map((tool) => [tool.name, tool.requires_approval]));
    expect(approval['everything.echo']).toBe(false);
    expect(approval['everything.toggle-simulated-logging']).toBe(true);
  });
});

describe('a 2026-era server (the SDK 2.x serveStdio)', () => {
  it('is reached in the modern era, by the same configuration', async () => {
    const modern = new URL('./support/modern-server.mjs', import.meta.url).pathname;
    const served = await startUpstreamGateway([{ name: 'modern', transport: stdio(modern) }]);
    try {
      const health = (await served.get('/health/upstreams')).json<{ upstreams: Array<{ era: string; protocol_version: string }> }>();
      expect(health.upstreams[0]).toMatchObject({ era: 'modern', protocol_version: '2026-07-28' });
      const response = await served.call('modern.shout', { text: 'hi' });
      expect(response.status, response.text).toBe(200);
      expect(textOf(response.json<{ result: CallToolResult }>().result)).toBe('HI (modern)');
    } finally {
      await served.close();
    }
  });
});
