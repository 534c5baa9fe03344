import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postJson } from '@agent-gateway/conformance';
import { connectClient, startMcpGateway, textOf, type McpGateway } from './support/mcp-fixture.js';
import { startTraceEchoServer, type TraceEchoServer } from './support/trace-echo-server.js';
import { fileURLToPath } from 'node:url';
import { startUpstreamGateway, stdio, type UpstreamGateway } from './upstreams/support/upstream-gateway.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

function named(name: string): ReadableSpan {
  const spans = exporter.getFinishedSpans().filter((span) => span.name === name);
  if (spans.length !== 1) throw new Error(`expected one span "${name}", found ${spans.length} among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return spans[0] as ReadableSpan;
}
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('MCP requests', () => {
  let served: McpGateway;
  beforeAll(async () => {
    served = await startMcpGateway('node', { approvalWaitMs: 30_000, progressIntervalMs: 100 });
  });
  afterAll(async () => {
    await served?.close();
  });

  it('tools/call: an MCP server span with the MCP attributes over the execute_tool span; a client traceparent in _meta is the parent', async () => {
    const client = await connectClient(served.mcpUrl, served.tokens.agent, 'modern');
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hello-mcp-arg' }, _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    expect(result.isError).not.toBe(true);
    await client.close();
    const mcp = named('tools/call echo');
    expect(mcp.kind).toBe(SpanKind.SERVER);
    expect(mcp.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'jsonrpc.request.id': expect.any(String) });
    expect(mcp.spanContext().traceId).toBe(traceId);
    expect(parentOf(mcp)).toBe('b7ad6b7169203331');
    const tool = named('execute_tool echo');
    expect(parentOf(tool)).toBe(mcp.spanContext().spanId);
    expect(tool.attributes).toMatchObject({ 'agent_gateway.via': 'mcp', 'agent_gateway.outcome': 'ok' });
    expect(JSON.stringify(exporter.getFinishedSpans().map((span) => span.attributes))).not.toContain('hello-mcp-arg');
  });

  it('a held call: an approval wait span with an event when it is decided, and the approved run linked to the asking span', async () => {
    const client = await connectClient(served.mcpUrl, served.tokens.agent, 'modern');
    const requested = new Promise<string>((resolve) => {
      const onChange = (change: { type: string; approval: { id: string } }): void => {
        if (change.type !== 'approval.requested') return;
        served.gateway.approvals.off('change', onChange);
        resolve(change.approval.id);
      };
      served.gateway.approvals.on('change', onChange);
    });
    const call = client.callTool({ name: 'risky', arguments: {} }, { onprogress: () => undefined, resetTimeoutOnProgress: true });
    const id = await requested;
    const decided = await postJson(`${served.baseUrl}/approvals/${id}/approve`, {}, served.tokens.approver);
    expect(decided.status, decided.text).toBe(200);
    expect(JSON.parse(textOf(await call))).toEqual({ ran: true });
    await client.close();
    const wait = named('approval wait');
    expect(wait.attributes).toMatchObject({ 'agent_gateway.approval.id': id, 'agent_gateway.approval.state': 'executed' });
    expect(wait.events.map((event) => event.name)).toEqual(['approval.decided']);
    const runs = exporter.getFinishedSpans().filter((span) => span.name === 'execute_tool risky');
    const asked = runs.find((span) => span.attributes['agent_gateway.outcome'] === 'queued');
    const ran = runs.find((span) => span.attributes['agent_gateway.outcome'] === 'ok');
    expect(ran?.links[0]?.context.spanId).toBe(asked?.spanContext().spanId);
    // The run happens in the approver's request: a child of its server span.
    expect(parentOf(ran as ReadableSpan)).toBe(named('POST /approvals/:id/approve').spanContext().spanId);
  });
});

describe('an upstream MCP server over HTTP', () => {
  let upstream: TraceEchoServer;
  let served: UpstreamGateway;
  beforeAll(async () => {
    upstream = await startTraceEchoServer();
    served = await startUpstreamGateway([{ name: 'traced', transport: { kind: 'http', url: upstream.url } }]);
  });
  afterAll(async () => {
    await served?.close();
    await upstream?.close();
  });

  it('sees our traceparent in its HTTP headers and in _meta: the client span of the upstream call', async () => {
    const response = await served.call('traced.trace_echo', {});
    expect(response.status, response.text).toBe(200);
    const { result } = response.json<{ result: { content: Array<{ text: string }> } }>();
    const seen = JSON.parse(result.content[0]?.text ?? '{}') as { meta: { traceparent: string }; header: string };
    const client = named('tools/call trace_echo');
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'trace_echo', 'agent_gateway.upstream': 'traced', 'agent_gateway.outcome': 'ok' });
    expect(client.status.code).not.toBe(SpanStatusCode.ERROR);
    const expected = `00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`;
    expect(seen.meta.traceparent).toBe(expected);
    expect(seen.header).toBe(expected);
    expect(parentOf(client)).toBe(named('execute_tool traced.trace_echo').spanContext().spanId);
  });
});

describe('an upstream MCP server over stdio', () => {
  let served: UpstreamGateway;
  beforeAll(async () => {
    const script = fileURLToPath(new URL('./upstreams/support/trace-echo-stdio.mjs', import.meta.url));
    served = await startUpstreamGateway([{ name: 'local', transport: stdio(script) }]);
  });
  afterAll(async () => {
    await served?.close();
  });

  it('sees our traceparent in the request _meta', async () => {
    const response = await served.call('local.trace_echo', {});
    expect(response.status, response.text).toBe(200);
    const { result } = response.json<{ result: { content: Array<{ text: string }> } }>();
    const seen = JSON.parse(result.content[0]?.text ?? '{}') as { meta: { traceparent: string } };
    const client = named('tools/call trace_echo');
    expect(seen.meta.traceparent).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
  });
});
