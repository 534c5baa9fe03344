import { connect } from 'node:net';

/**
 * A request line and headers past Node's 16 KiB limit, sent over a raw socket: what Node's parser
 * refuses never reaches the framework, so the raw answer shows who wrote it.
 */
export function sendOversizedHeaders(baseUrl: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise<string>((resolveRaw, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
    });
    socket.on('error', reject);
    socket.on('close', () => resolveRaw(received));
    socket.write(`GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
  });
}
