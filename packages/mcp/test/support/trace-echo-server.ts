import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';

/** A real MCP server over Streamable HTTP whose one tool answers with the trace context it was sent. */
export interface TraceEchoServer {
  readonly url: string;
  /** The `traceparent` header of every POST it got, in order. */
  readonly headers: Array<string | undefined>;
  close(): Promise<void>;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The tool `trace_echo` returns `{ meta, header }`: the request's `_meta` trace keys and the
 * `traceparent` header of the HTTP request that carried it (handed to the factory through `authInfo`).
 */
export async function startTraceEchoServer(): Promise<TraceEchoServer> {
  const headers: Array<string | undefined> = [];
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const server = new Server({ name: 'trace-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', () => ({
        tools: [{ name: 'trace_echo', description: 'Answers with the trace context it got', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } }],
      }));
      server.setRequestHandler('tools/call', (request) => {
        const meta = request.params._meta ?? {};
        const seen = { meta: { traceparent: meta.traceparent ?? null, tracestate: meta.tracestate ?? null }, header: authInfo?.token === '' ? null : (authInfo?.token ?? null) };
        return { content: [{ type: 'text', text: JSON.stringify(seen) }] };
      });
      return server;
    },
    { legacy: 'stateless' },
  );
  const http = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const traceparent = header(request, 'traceparent');
      if (request.method === 'POST') headers.push(traceparent);
      const webHeaders = new Headers();
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') webHeaders.set(name, value);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.concat(chunks);
      const web = new Request(`http://127.0.0.1${request.url ?? '/'}`, { method: request.method ?? 'GET', headers: webHeaders, ...(body === undefined ? {} : { body }) });
      const answer = await handler.fetch(web, { authInfo: { token: traceparent ?? '', clientId: 'test', scopes: [] } });
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      if (answer.body !== null) for await (const chunk of answer.body) response.write(chunk);
      response.end();
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
