import { request as httpRequest, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, rawRequest, USERS } from '@agent-gateway/conformance';
import { connectClient, ERAS, MOUNTS, startMcpGateway, type McpGateway } from './support/mcp-fixture.js';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 400; tries += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/** A 2025-era `tools/call` of the slow tool, left open: the test decides how it ends. */
function openCall(served: McpGateway, token: string, id: number): ClientRequest {
  const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'slow', arguments: {} } });
  const request = httpRequest(served.mcpUrl, { method: 'POST', agent: false, headers: { ...HEADERS, authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } });
  request.on('error', () => undefined);
  request.on('response', (response) => response.resume());
  request.end(body);
  return request;
}

function cancel(served: McpGateway, token: string, requestId: number) {
  const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'changed my mind' } });
  return rawRequest(served.mcpUrl.href, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${token}` }, body });
}

describe.each(MOUNTS)('cancelling an MCP call, served by %s', (mount) => {
  let served: McpGateway;
  beforeAll(async () => {
    served = await startMcpGateway(mount);
  });
  afterAll(async () => {
    await served?.close();
  });

  it.each(ERAS)("the SDK's %s client aborting a call aborts the tool's signal", async (era) => {
    const client = await connectClient(served.mcpUrl, served.tokens.agent, era);
    const { probe } = served;
    const [started, aborted] = [probe.slowStarted, probe.slowAborted];
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, { signal: controller.signal }).catch((error: unknown) => error);
    await until(() => probe.slowStarted > started, 'the tool to start');
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    await until(() => probe.slowAborted > aborted, "the tool's signal to abort");
    await client.close();
  });

  it('a 2025-era notifications/cancelled, arriving on a request of its own, reaches the running call', async () => {
    const { probe } = served;
    const [started, aborted] = [probe.slowStarted, probe.slowAborted];
    const open = openCall(served, served.tokens.agent, 41);
    await until(() => probe.slowStarted > started, 'the tool to start');
    // Another caller naming the same request id reaches nothing.
    const stranger = await login(served.baseUrl, USERS.admin);
    expect((await cancel(served, stranger.token, 41)).status).toBe(202);
    expect((await cancel(served, served.tokens.agent, 40)).status).toBe(202);
    expect(probe.slowAborted).toBe(aborted);
    expect((await cancel(served, served.tokens.agent, 41)).status).toBe(202);
    await until(() => probe.slowAborted > aborted, "the tool's signal to abort");
    open.destroy();
  });

  it("a client that disconnects aborts the tool's signal", async () => {
    const { probe } = served;
    const [started, aborted] = [probe.slowStarted, probe.slowAborted];
    const open = openCall(served, served.tokens.agent, 7);
    await until(() => probe.slowStarted > started, 'the tool to start');
    open.destroy();
    await until(() => probe.slowAborted > aborted, "the tool's signal to abort");
  });
});
