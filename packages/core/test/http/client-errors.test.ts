import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientError, Gateway, silentLogger } from '../../src/index.js';

/** Sends raw bytes and reads until the server closes: what a client that speaks broken HTTP sees. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(request);
  });
}

function parse(raw: string): { status: number; headers: string; body: unknown } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(raw.slice(split + 4)) };
}

describe('requests Node cannot parse get the JSON error shape (answerClientError)', () => {
  const gateway = new Gateway({ logger: silentLogger });
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = createServer({ headersTimeout: 300, requestTimeout: 400, connectionsCheckingInterval: 50 }, gateway.nodeListener());
    server.on('clientError', answerClientError);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gateway.close();
  });

  it('oversized headers: 431 headers_too_large, JSON', async () => {
    const response = parse(await rawExchange(port, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(response.status).toBe(431);
    expect(response.headers).toContain('content-type: application/json');
    expect(response.body).toEqual({ error: { code: 'headers_too_large', message: 'the request headers are too large' } });
  });

  it('a malformed request line: 400 bad_request, JSON', async () => {
    const response = parse(await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('headers that never finish: 408 request_timeout, JSON', async () => {
    const response = parse(await rawExchange(port, 'GET /health HTTP/1.1\r\nhost: x\r\n'));
    expect(response.status).toBe(408);
    expect(response.body).toMatchObject({ error: { code: 'request_timeout' } });
  });

  it('the server still answers afterwards', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
  });
});
