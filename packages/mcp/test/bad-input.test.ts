import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rawRequest, type RawResponse } from '@agent-gateway/conformance';
import { SdkHttpError } from '@modelcontextprotocol/client';
import { connectClient, MOUNTS, startMcpGateway, textOf, type McpGateway } from './support/mcp-fixture.js';

const request = (id: number, method: string, params: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method, params });

/** The one JSON-RPC message of a response, whether sent as JSON or as a single SSE event. */
function messageOf(response: RawResponse): { id?: unknown; result?: unknown; error?: { code: number; message: string } } {
  const type = String(response.headers['content-type'] ?? '');
  if (!type.startsWith('text/event-stream')) return response.json();
  const data = response.text.split('\n').find((line) => line.startsWith('data: '));
  return JSON.parse(data?.slice('data: '.length) ?? 'null') as ReturnType<typeof messageOf>;
}

describe.each(MOUNTS)('bad input on /mcp, served by %s', (mount) => {
  let served: McpGateway;
  let send: (body: string | undefined, headers?: Record<string, string>, method?: string) => Promise<RawResponse>;
  beforeAll(async () => {
    served = await startMcpGateway(mount);
    send = (body, headers = {}, method = 'POST') =>
      rawRequest(served.mcpUrl.href, {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${served.tokens.agent}`, ...headers },
        ...(body === undefined ? {} : { body }),
      });
  });
  afterAll(async () => {
    await served?.close();
  });

  it('malformed JSON: 400 with the parse error -32700', async () => {
    const response = await send('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(response.status).toBe(400);
    expect(messageOf(response)).toMatchObject({ error: { code: -32700 }, id: null });
  });

  it('JSON that is no JSON-RPC message, and an empty batch: 400 with -32600', async () => {
    for (const body of ['{"hello":"world"}', '[]', '42']) {
      const response = await send(body);
      expect(response.status, body).toBe(400);
      expect(messageOf(response), body).toMatchObject({ error: { code: -32600 } });
    }
  });

  it('batch abuse: more than 16 messages in one POST is refused whole; a small 2025-03-26 batch is served', async () => {
    const calls = Array.from({ length: 17 }, (_, i) => request(i, 'tools/call', { name: 'echo', arguments: { text: 'x' } }));
    const before = served.gateway.metrics.registry.getSingleMetric('tool_calls_total');
    const countBefore = (await before?.get())?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
    const refused = await send(JSON.stringify(calls));
    expect(refused.status).toBe(400);
    expect(refused.json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Bad Request: a batch may hold at most 16 messages' }, id: null });
    // Not one of them reached the pipeline.
    expect((await before?.get())?.values.reduce((sum, value) => sum + value.value, 0) ?? 0).toBe(countBefore);
    const small = await send(JSON.stringify([request(1, 'ping'), request(2, 'ping')]), { 'mcp-protocol-version': '2025-03-26' });
    expect(small.status).toBe(200);
  });

  it('unknown methods, the 2025-11-25 tasks/* methods among them: -32601', async () => {
    for (const method of ['does/not/exist', 'tasks/get', 'tasks/list']) {
      const response = await send(JSON.stringify(request(7, method, method === 'tasks/get' ? { taskId: 't' } : {})));
      expect(messageOf(response), method).toMatchObject({ id: 7, error: { code: -32601 } });
    }
    const client = await connectClient(served.mcpUrl, served.tokens.agent, 'modern');
    // The 2026-07-28 binding maps -32601 to HTTP 404, which the SDK's client reports as an HTTP error.
    const error = await client.request({ method: 'does/not/exist', params: {} }, z.object({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SdkHttpError);
    expect((error as SdkHttpError).status).toBe(404);
    expect((error as SdkHttpError).data.text).toContain('"code":-32601');
    await client.close();
  });

  it('huge params: 413 past the body limit, read no further', async () => {
    const response = await send(JSON.stringify(request(1, 'tools/call', { name: 'echo', arguments: { text: 'x'.repeat(100_000) } })));
    expect(response.status).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('nesting past the gateway\'s depth and prototype keys: 400 with -32600, as /tools/call refuses them', async () => {
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"record.keys","arguments":{"data":${'['.repeat(100)}${']'.repeat(100)}}}}`;
    expect(messageOf(await send(deep))).toMatchObject({ error: { code: -32600, message: expect.stringContaining('nested deeper') } });
    const polluting = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"record.keys","arguments":{"data":{"__proto__":{"admin":true}}}}}';
    const response = await send(polluting);
    expect(response.status).toBe(400);
    expect(messageOf(response)).toMatchObject({ error: { code: -32600, message: expect.stringContaining('__proto__') } });
  });

  it('a wrong content type: 415', async () => {
    const response = await send(JSON.stringify(request(1, 'tools/list')), { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(messageOf(response)).toMatchObject({ error: { code: -32000, message: expect.stringContaining('Unsupported Media Type') } });
  });

  it('a missing or narrow Accept header: 406', async () => {
    for (const accept of ['', 'application/json', 'text/html']) {
      const response = await send(JSON.stringify(request(1, 'tools/list')), { accept });
      expect(response.status, accept).toBe(406);
      expect(messageOf(response)).toMatchObject({ error: { code: -32000, message: expect.stringContaining('Not Acceptable') } });
    }
  });

  it('GET and DELETE (session operations a stateless endpoint has none of): 405', async () => {
    for (const method of ['GET', 'DELETE']) expect((await send(undefined, { accept: 'text/event-stream' }, method)).status, method).toBe(405);
  });

  it('an Origin from elsewhere: 403', async () => {
    const response = await send(JSON.stringify(request(1, 'tools/list')), { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
    expect(messageOf(response)).toMatchObject({ error: { code: -32000 } });
  });

  it('keeps serving after all of it', async () => {
    const client = await connectClient(served.mcpUrl, served.tokens.agent, 'legacy');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('{"text":"still here"}');
    await client.close();
  });
});
