import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { startExample } from '../../demo-tools/test-support/runbook-smoke.js';

/** An OTLP/HTTP collector on loopback (JSON encoding): what it was sent, as text. */
async function startCollector(): Promise<{ url: string; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') received.push(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

it('with OTEL_EXPORTER_OTLP_ENDPOINT set, npm start exports the spans of a tool call over OTLP, named by OTEL_SERVICE_NAME', async () => {
  const collector = await startCollector();
  const workDir = await mkdtemp(join(tmpdir(), 'tracing-example-'));
  const server = startExample(resolve(__dirname, '..'), {
    AGENT_GATEWAY_ADMIN_PASS: 'x',
    AGENT_GATEWAY_USERS_PATH: join(workDir, 'users.json'),
    AGENT_GATEWAY_AUDIT_PATH: join(workDir, 'audit.log'),
    AGENT_GATEWAY_STATE_DIR: join(workDir, 'state'),
    SCRATCH_DIR: join(workDir, 'scratch'),
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'gateway-smoke',
  });
  try {
    const base = await server.url;
    const login = await fetch(`${base}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"admin","password":"x"}' });
    const { token } = (await login.json()) as { token: string };
    const call = await fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, traceparent: '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      body: JSON.stringify({ tool: 'echo', args: { text: 'traced' } }),
    });
    expect(call.status).toBe(200);
  } finally {
    // Shutting down flushes the SDK's batch of spans to the collector.
    server.child.kill('SIGTERM');
    await server.exit;
    await rm(workDir, { recursive: true, force: true });
    await collector.close();
  }
  const exported = collector.received.join('\n');
  expect(exported).toContain('execute_tool echo');
  expect(exported).toContain('gateway-smoke');
  expect(exported).toContain('5bf92f3577b34da6a3ce929d0e0e4736');
  // The default: no argument values in what leaves the process.
  expect(exported).not.toContain('traced"');
});
