// A stdio MCP server whose one tool answers with the trace context it got in the request's _meta.
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

serveStdio(() => {
  const server = new Server({ name: 'trace-echo-stdio', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'trace_echo', description: 'Answers with its _meta trace context', inputSchema: { type: 'object', properties: {} }, annotations: { readOnlyHint: true } }],
  }));
  server.setRequestHandler('tools/call', (request) => {
    const meta = request.params._meta ?? {};
    return { content: [{ type: 'text', text: JSON.stringify({ meta: { traceparent: meta.traceparent ?? null, tracestate: meta.tracestate ?? null } }) }] };
  });
  return server;
});
