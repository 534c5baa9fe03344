import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listenOnLoopback } from '../../../conformance/src/listen.js';
import { AuditLog, Gateway, silentLogger, systemCaller, type AuditEntry, type Logger } from '../../src/index.js';
import { allAttributeText, startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.js';

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(async () => {
  await tracing.stop();
});

const dirs: string[] = [];
afterEach(async () => {
  tracing.exporter.reset();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const SECRET_ARG = 'do-not-trace-this-value-4711';

async function served(options: { recordArguments?: boolean; logger?: Logger } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'tracing-'));
  dirs.push(dir);
  const path = join(dir, 'audit.log');
  const gateway = new Gateway({
    logger: options.logger ?? silentLogger,
    audit: await AuditLog.open(path),
    auth: { passwordHashing: { logN: 10, r: 8, p: 1 } },
    ...(options.recordArguments === undefined ? {} : { tracing: { recordArguments: options.recordArguments } }),
  });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string(), api_key: z.string().optional() }), run: ({ text }) => ({ text }) });
  gateway.registerTool({ name: 'risky', description: 'held', args: z.object({ text: z.string() }), requiresApproval: true, run: () => 'done' });
  gateway.registerTool({
    name: 'broken',
    description: 'throws',
    args: z.object({}),
    run: () => {
      throw new Error('tool blew up');
    },
  });
  await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
  const token = (await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken;
  const server = await listenOnLoopback(gateway.nodeListener());
  const call = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });
  const entries = async (): Promise<AuditEntry[]> =>
    (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry).filter((entry) => entry.event === 'tool_call');
  const close = async () => {
    await server.close();
    await gateway.close();
  };
  return { gateway, call, entries, close, path };
}

describe('the spans of a tool call over HTTP', () => {
  it('a plain call: server span, execute_tool span with the GenAI attributes, audit append beneath it; the audit entry carries the trace id', async () => {
    const { call, entries, close, gateway } = await served();
    const response = await call({ tool: 'echo', args: { text: SECRET_ARG } });
    expect(response.status).toBe(200);
    const server = tracing.one('POST /tools/call');
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/tools/call', 'http.response.status_code': 200 });
    const tool = tracing.one('execute_tool echo');
    expect(tool.kind).toBe(SpanKind.INTERNAL);
    expect(tool.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    const [entry] = await entries();
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
      'gen_ai.tool.call.id': entry?.details.call_id,
      'agent_gateway.outcome': 'ok',
      'agent_gateway.via': 'http',
    });
    expect(tool.status.code).not.toBe(SpanStatusCode.ERROR);
    const append = tracing.childrenOf(tool).find((span) => span.name === 'audit append');
    expect(append?.attributes).toMatchObject({ 'agent_gateway.audit.event': 'tool_call' });
    expect(append?.events.map((event) => event.name)).toContain('audit.fsync_started');
    expect(entry?.trace_id).toBe(tool.spanContext().traceId);
    // Nothing of the arguments anywhere by default.
    expect(allAttributeText(tracing.spans())).not.toContain(SECRET_ARG);
    // The chain with trace ids in it verifies.
    expect((await gateway.audit?.verify())?.ok).toBe(true);
    await close();
  });

  it('honours an incoming traceparent: the server span continues the caller\'s trace', async () => {
    const { call, entries, close } = await served();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    expect((await call({ tool: 'echo', args: { text: 'x' } }, { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=1' })).status).toBe(200);
    const server = tracing.one('POST /tools/call');
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe(parentId);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    expect((await entries())[0]?.trace_id).toBe(traceId);
    await close();
  });

  it('a refused call: error status, the error code and outcome on the span', async () => {
    const { call, close } = await served();
    expect((await call({ tool: 'echo', args: { text: 42 } })).status).toBe(422);
    const tool = tracing.one('execute_tool echo');
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool.attributes).toMatchObject({ 'agent_gateway.outcome': 'refused', 'agent_gateway.error.code': 'invalid_args', 'error.type': 'invalid_args' });
    await close();
  });

  it('a held call approved later: the run is its own execute_tool span, linked to the span of the request that asked', async () => {
    const { call, close, gateway } = await served();
    const response = await call({ tool: 'risky', args: { text: SECRET_ARG } });
    expect(response.status).toBe(202);
    const { approval_id: approvalId } = (await response.json()) as { approval_id: string };
    const asked = tracing.one('execute_tool risky');
    expect(asked.attributes).toMatchObject({ 'agent_gateway.outcome': 'queued', 'agent_gateway.approval.id': approvalId });
    tracing.exporter.reset();
    await gateway.approvals.approve(approvalId, systemCaller('approver'));
    const run = tracing.one('execute_tool risky');
    expect(run.attributes).toMatchObject({ 'agent_gateway.outcome': 'ok', 'agent_gateway.approval.id': approvalId });
    expect(run.links).toHaveLength(1);
    expect(run.links[0]?.context.spanId).toBe(asked.spanContext().spanId);
    expect(run.links[0]?.context.traceId).toBe(asked.spanContext().traceId);
    expect(allAttributeText(tracing.spans())).not.toContain(SECRET_ARG);
    await close();
  });

  it('records the arguments only when the operator opts in, and then scrubbed', async () => {
    const { call, close } = await served({ recordArguments: true });
    const apiKey = 'sk-live-abcdefghijklmnopqrstuvwx';
    expect((await call({ tool: 'echo', args: { text: 'shown', api_key: apiKey } })).status).toBe(200);
    const recorded = String(tracing.one('execute_tool echo').attributes['gen_ai.tool.call.arguments']);
    expect(recorded).toContain('shown');
    expect(recorded).not.toContain(apiKey);
    await close();
  });

  it('puts the trace id into the log lines written inside a call', async () => {
    const lines: Array<Record<string, unknown> | undefined> = [];
    const logger: Logger = { info: () => undefined, warn: () => undefined, error: (_message, fields) => lines.push(fields) };
    const { call, close } = await served({ logger });
    expect((await call({ tool: 'broken', args: {} })).status).toBe(500);
    const tool = tracing.one('execute_tool broken');
    expect(lines.find((fields) => fields?.tool === 'broken')).toMatchObject({ trace_id: tool.spanContext().traceId, span_id: tool.spanContext().spanId });
    expect(tool.attributes).toMatchObject({ 'agent_gateway.outcome': 'failed', 'agent_gateway.error.code': 'tool_failed' });
    await close();
  });
});

describe('a held call waited for over HTTP', () => {
  it('POST /tools/call with wait: an approval wait span under the request, with an event when the decision came', async () => {
    const { call, close, gateway } = await served();
    gateway.approvals.on('change', (change: { type: string; approval: { id: string } }) => {
      if (change.type === 'approval.requested') void gateway.approvals.approve(change.approval.id, systemCaller('approver'));
    });
    const response = await call({ tool: 'risky', args: { text: 'x' }, wait: 10 });
    expect(response.status).toBe(200);
    const wait = tracing.one('approval wait');
    expect(wait.parentSpanContext?.spanId).toBe(tracing.one('POST /tools/call').spanContext().spanId);
    expect(wait.attributes).toMatchObject({ 'agent_gateway.approval.state': 'executed' });
    expect(wait.events.map((event) => event.name)).toEqual(['approval.decided']);
    await close();
  });
});

describe('a host whose framework instrumentation made the server span', () => {
  it('joins that span instead of starting a second one: the gateway\'s spans are its children', async () => {
    const { gateway, close } = await served();
    const host = trace.getTracer('host-framework').startSpan('POST /agent-api/*', { kind: SpanKind.SERVER });
    const body = Buffer.from('{"tool":"echo","args":{"text":"x"}}');
    const token = (await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken;
    const response = await context.with(trace.setSpan(context.active(), host), () =>
      gateway.handle({
        method: 'POST',
        url: '/tools/call',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: { kind: 'stream', stream: (async function* () { yield body; })() },
      }),
    );
    host.end();
    expect(response?.status).toBe(200);
    expect(tracing.spans().filter((span) => span.kind === SpanKind.SERVER).map((span) => span.name)).toEqual(['POST /agent-api/*']);
    expect(tracing.one('execute_tool echo').parentSpanContext?.spanId).toBe(host.spanContext().spanId);
    await close();
  });
});
