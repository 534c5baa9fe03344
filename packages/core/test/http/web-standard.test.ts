import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, type GatewayRequest } from '../../src/index.js';
import { fromWebResponse, isEventStream, toWebRequest } from '../../src/http/public.js';

function streamed(method: string, text: string, headers: Record<string, string> = {}): GatewayRequest {
  return {
    method,
    url: '/mcp?x=1',
    headers: { 'content-type': 'application/json', ...headers },
    body: {
      kind: 'stream',
      stream: (async function* () {
        yield Buffer.from(text);
      })(),
    },
  };
}

describe('toWebRequest', () => {
  it('carries method, path, query, headers and the body', async () => {
    const request = await toWebRequest(streamed('POST', '{"a":1}', { 'mcp-session-id': 's1' }), { maxBytes: 100 });
    expect(request.method).toBe('POST');
    expect(new URL(request.url).pathname).toBe('/mcp');
    expect(new URL(request.url).searchParams.get('x')).toBe('1');
    expect(request.headers.get('mcp-session-id')).toBe('s1');
    expect(await request.json()).toEqual({ a: 1 });
  });

  it('refuses a body past the gateway limit with 413, declared or not', async () => {
    await expect(toWebRequest(streamed('POST', 'x'.repeat(101)), { maxBytes: 100 })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(toWebRequest(streamed('POST', '{}', { 'content-length': '5000' }), { maxBytes: 100 })).rejects.toMatchObject({ status: 413 });
  });

  it('hands a body the host already parsed on as JSON, and none for GET', async () => {
    const parsed = await toWebRequest({ method: 'POST', url: '/', headers: {}, body: { kind: 'parsed', value: { b: [1] } } }, { maxBytes: 100 });
    expect(await parsed.json()).toEqual({ b: [1] });
    const get = await toWebRequest({ method: 'GET', url: '/', headers: {}, body: { kind: 'none' } }, { maxBytes: 100 });
    expect(get.body).toBeNull();
  });
});

describe('fromWebResponse', () => {
  it('reads a plain response whole, keeps its headers and adds the gateway defaults', async () => {
    const response = await fromWebResponse(new Response('{"ok":true}', { status: 201, headers: { 'content-type': 'application/json', 'x-a': 'b' } }));
    expect(response).toMatchObject({ status: 201, body: '{"ok":true}', headers: { 'x-a': 'b', 'x-content-type-options': 'nosniff' } });
    expect(response.headers['content-length']).toBeUndefined();
  });

  it('passes an event stream through as it is produced, and cancels the producer when the client goes away', async () => {
    let cancelled = false;
    let push!: (text: string) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = await fromWebResponse(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    if (!isEventStream(response)) throw new Error('expected an event stream');
    const client = new AbortController();
    const iterator = response.events(client.signal)[Symbol.asyncIterator]();
    push('data: one\n\n');
    expect((await iterator.next()).value).toBe('data: one\n\n');
    push('data: two\n\n');
    expect((await iterator.next()).value).toBe('data: two\n\n');
    client.abort();
    await iterator.return?.();
    expect(cancelled).toBe(true);
  });

  it('a client gone before the stream is read ends it at once and cancels the producer, which never sent anything', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      cancel() {
        cancelled = true;
      },
    });
    const response = await fromWebResponse(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    if (!isEventStream(response)) throw new Error('expected an event stream');
    const client = new AbortController();
    client.abort();
    let settled: IteratorResult<string> | undefined;
    const next = response.events(client.signal)[Symbol.asyncIterator]().next();
    void next.then((result) => {
      settled = result;
    });
    // A few turns of the event loop: a read left waiting on the silent producer would still be pending.
    for (let turn = 0; turn < 10 && settled === undefined; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual({ done: true, value: undefined });
    expect(cancelled).toBe(true);
  });
});
