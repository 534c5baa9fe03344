import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamableHTTPClientTransport, type Client, type Progress } from '@modelcontextprotocol/client';
import { mcpPlugin } from '../../src/index.js';
import { OrderedClient } from '../../src/upstreams/ordered-client.js';
import { CLIENT_INFO, ERAS, textOf, type Era } from '../support/mcp-fixture.js';
import { startHttpEverything, stopChild } from './support/everything-http.js';
import { EVERYTHING_SERVER, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

const LONG = 'trigger-long-running-operation';

/**
 * The SDK's client as `connectClient` makes it, but with the gateway's own fix for the SDK 2.4 race
 * that drops a progress notification arriving with the result (typescript-sdk#2580): this checks
 * what the gateway sends, not that race.
 */
async function connectClient(url: URL, token: string, era: Era): Promise<Client> {
  const options = era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : { supportedProtocolVersions: ['2025-11-25'] };
  const client = new OrderedClient(CLIENT_INFO, options);
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/**
 * server-everything's long-running tool sends `notifications/progress` at each step when the request
 * carries a progress token (here over stdio, and over Streamable HTTP as `remote`). Its steps (0.3 s apart) are well inside the 1.2 s timeouts below, and
 * its whole run (2.4 s) well past them: only a timeout that progress restarts lets it finish.
 */
describe('progress from an upstream MCP server reaches the gateway’s MCP clients', () => {
  let served: UpstreamGateway;
  let httpServer: ChildProcess | undefined;

  beforeAll(async () => {
    const http = await startHttpEverything();
    httpServer = http.child;
    served = await startUpstreamGateway(
      [
        { name: 'remote', transport: { kind: 'http', url: http.url }, tools: { allow: [LONG] } },
        { name: 'everything', transport: stdio(EVERYTHING_SERVER, ['stdio']), timeoutMs: 20_000, toolTimeouts: { [LONG]: 1_200 } },
        { name: 'bounded', transport: stdio(EVERYTHING_SERVER, ['stdio']), timeoutMs: 1_200, totalTimeoutMs: 1_200, tools: { allow: [LONG] } },
      ],
      [mcpPlugin()],
    );
  }, 60_000);

  afterAll(async () => {
    await served?.close();
    if (httpServer !== undefined) await stopChild(httpServer);
  });

  const mcpUrl = () => new URL(`${served.baseUrl}/mcp`);

  it.each(ERAS.flatMap((era) => [[era, 'everything'] as const, [era, 'remote'] as const]))('%s client, %s upstream: every step in order, then the result', async (era, upstream) => {
    const client = await connectClient(mcpUrl(), served.tokens.agent, era);
    try {
      const heard: Progress[] = [];
      const result = await client.callTool({ name: `${upstream}.${LONG}`, arguments: { duration: 0.9, steps: 3 } }, { onprogress: (progress) => heard.push(progress) });
      expect(heard).toEqual([1, 2, 3].map((step) => ({ progress: step, total: 3 })));
      expect(result.isError).not.toBe(true);
      expect(textOf(result)).toMatch(/Long running operation completed\. Duration: 0\.9 seconds, Steps: 3/);
    } finally {
      await client.close();
    }
  });

  it('the progress an upstream sends just before its result is not lost (the SDK handles the result first unless told not to)', async () => {
    const counts: number[] = [];
    for (let call = 0; call < 10; call += 1) {
      const heard: number[] = [];
      const outcome = await served.gateway.callTool({ tool: `everything.${LONG}`, args: { duration: 0.03, steps: 3 } }, { onProgress: ({ progress }) => heard.push(progress) });
      expect(outcome.status).toBe('executed');
      counts.push(heard.length);
      expect(heard).toEqual(heard.toSorted((a, b) => a - b));
    }
    expect(counts).toEqual(Array(10).fill(3));
  });

  it('a client that sent no progress token gets none, and the same result', async () => {
    const client = await connectClient(mcpUrl(), served.tokens.agent, 'modern');
    // A progress notification without a token the client issued would be reported here.
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    try {
      const result = await client.callTool({ name: `everything.${LONG}`, arguments: { duration: 0.3, steps: 3 } });
      expect(textOf(result)).toMatch(/Long running operation completed/);
      expect(errors).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('each progress restarts the call’s timeout: a 2.4 s run finishes under a 1.2 s timeout (also over /tools/call, with nobody listening)', async () => {
    const response = await served.call(`everything.${LONG}`, { duration: 2.4, steps: 8 });
    expect(response.status, response.text).toBe(200);
    expect(response.text).toMatch(/Long running operation completed/);
  });

  it('the total limit ends a call however much progress it reports: 504 upstream_timeout, limit total', async () => {
    const client = await connectClient(mcpUrl(), served.tokens.agent, 'modern');
    try {
      const heard: Progress[] = [];
      const result = await client.callTool({ name: `bounded.${LONG}`, arguments: { duration: 2.4, steps: 8 } }, { onprogress: (progress) => heard.push(progress) });
      expect(result.isError).toBe(true);
      expect(result._meta?.['agent-gateway/error']).toMatchObject({ code: 'upstream_timeout', status: 504, details: { upstream: 'bounded', limit: 'total', timeout_ms: 1_200 } });
      expect(heard.length).toBeGreaterThan(0);
      expect(heard.length).toBeLessThan(8);
    } finally {
      await client.close();
    }
    const metrics = (await served.get('/metrics', served.tokens.admin)).text;
    expect(metrics).toMatch(/mcp_upstream_calls_total\{upstream="bounded",tool="trigger-long-running-operation",outcome="timeout"\} 1/);
  });
});
