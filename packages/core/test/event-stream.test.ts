import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/index.js';
import { eventStreamResponse, formatServerSentEvent, sendNodeResponse } from '../src/http/public.js';

describe('event stream responses over node:http', () => {
  const servers: Array<ReturnType<typeof createServer>> = [];
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  async function serve(events: (signal: AbortSignal) => AsyncIterable<string>): Promise<string> {
    const server = createServer((_req, res) => {
      void sendNodeResponse(res, eventStreamResponse(events), silentLogger);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('formats events with id, event and one-line JSON data', () => {
    expect(formatServerSentEvent({ id: '7', event: 'approval.requested', data: { a: 'x\ny' } })).toBe(
      'id: 7\nevent: approval.requested\ndata: {"a":"x\\ny"}\n\n',
    );
    expect(() => formatServerSentEvent({ event: 'bad\nname', data: 1 })).toThrow(/line breaks/);
  });

  it('streams each chunk as it is produced, unbuffered, with SSE headers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const url = await serve(async function* () {
      yield formatServerSentEvent({ id: '1', data: 'first' });
      await gate;
      yield formatServerSentEvent({ id: '2', data: 'second' });
    });
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // The first event arrives while the second is still held back: nothing waits for the end.
    expect(decoder.decode((await reader.read()).value)).toBe('id: 1\ndata: "first"\n\n');
    release();
    expect(decoder.decode((await reader.read()).value)).toBe('id: 2\ndata: "second"\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('aborts the producer when the client disconnects', async () => {
    let aborted!: () => void;
    const sawAbort = new Promise<void>((resolve) => {
      aborted = resolve;
    });
    const url = await serve(async function* (signal) {
      signal.addEventListener('abort', () => aborted(), { once: true });
      yield ': connected\n\n';
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    });
    const controller = new AbortController();
    const response = await fetch(url, { signal: controller.signal });
    await response.body!.getReader().read();
    controller.abort();
    await expect(sawAbort).resolves.toBeUndefined();
  });
});
