import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAtMost } from '../../src/http/json-body.js';

/**
 * readAtMost takes a Node request's body at once when the whole message has already arrived, and by
 * its events otherwise: both ways must give the same bytes and the same 413, over a real socket.
 */
describe('readAtMost on a Node request', () => {
  let server: Server;
  let port: number;
  let handle: (req: IncomingMessage) => Promise<unknown>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void handle(req).then(
        (value) => res.end(JSON.stringify({ ok: value })),
        (error: unknown) => res.end(JSON.stringify({ error: (error as { code?: string }).code ?? String(error) })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `parts` with `gapMs` between them (chunked), and answers with what the server made of the body. */
  function send(parts: readonly string[], gapMs: number): Promise<{ ok?: unknown; error?: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ port, method: 'POST', path: '/', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(text) as { ok?: unknown; error?: string }));
      });
      req.on('error', reject);
      let i = 0;
      const next = (): void => {
        const part = parts[i++];
        if (part === undefined) {
          req.end();
          return;
        }
        req.write(part);
        setTimeout(next, gapMs);
      };
      next();
    });
  }

  async function waitUntilComplete(req: IncomingMessage): Promise<void> {
    while (!req.complete) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('takes a body that has fully arrived at once, with no listener left behind', async () => {
    handle = async (req) => {
      await waitUntilComplete(req);
      const body = await readAtMost(req, 100);
      return { text: body.toString(), dataListeners: req.listenerCount('data'), endListeners: req.listenerCount('end') };
    };
    expect(await send(['{"a":', '1}'], 1)).toEqual({ ok: { text: '{"a":1}', dataListeners: 0, endListeners: 0 } });
  });

  it('reads a body that is still arriving by its events, and gives the same bytes', async () => {
    handle = async (req) => {
      const complete = req.complete;
      const body = await readAtMost(req, 100);
      return { text: body.toString(), completeAtStart: complete };
    };
    expect(await send(['{"a":', '1', '}'], 30)).toEqual({ ok: { text: '{"a":1}', completeAtStart: false } });
  });

  it('refuses a body over the limit with 413 either way', async () => {
    handle = async (req) => {
      await waitUntilComplete(req);
      return readAtMost(req, 10);
    };
    expect(await send(['x'.repeat(8), 'x'.repeat(8)], 1)).toEqual({ error: 'payload_too_large' });
    handle = (req) => readAtMost(req, 10);
    expect(await send(['x'.repeat(8), 'x'.repeat(8)], 30)).toEqual({ error: 'payload_too_large' });
  });

  it('gives an empty buffer for an empty body that has arrived', async () => {
    handle = async (req) => {
      await waitUntilComplete(req);
      return (await readAtMost(req, 10)).length;
    };
    expect(await send([], 1)).toEqual({ ok: 0 });
  });
});
