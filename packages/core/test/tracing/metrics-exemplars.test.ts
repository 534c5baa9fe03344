import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listenOnLoopback } from '../../../conformance/src/listen.js';
import { Gateway, silentLogger, systemCaller, type GatewayOptions } from '../../src/index.js';
import { startInMemoryTracing, type InMemoryTracing } from './in-memory-tracing.js';

// With OpenMetrics, a tool call's latency bucket carries the call's trace id as an exemplar, so a
// slow bucket on a dashboard leads to the trace; without it, /metrics stays the Prometheus text the
// runbook's scrapers read.

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(async () => {
  await tracing.stop();
});
const open: Array<{ gateway: Gateway; server: Awaited<ReturnType<typeof listenOnLoopback>> }> = [];
afterEach(async () => {
  tracing.exporter.reset();
  for (const { gateway, server } of open.splice(0)) {
    await server.close();
    await gateway.close();
  }
});

async function served(options: GatewayOptions) {
  const gateway = new Gateway({ logger: silentLogger, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } }, ...options });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
  await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
  const token = (await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken;
  const server = await listenOnLoopback(gateway.nodeListener());
  open.push({ gateway, server });
  const call = (headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/tools/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ tool: 'echo', args: { text: 'hi' } }),
    });
  const metrics = async () => {
    const response = await fetch(`${server.baseUrl}/metrics`);
    return { contentType: response.headers.get('content-type'), body: await response.text() };
  };
  return { call, metrics };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('tool-call latency exemplars', () => {
  it('with openMetrics, the bucket a traced call fell in names its trace id, and the text is OpenMetrics', async () => {
    const { call, metrics } = await served({ metrics: { openMetrics: true } });
    expect((await call({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).status).toBe(200);
    const { contentType, body } = await metrics();
    expect(contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    const exemplars = body.split('\n').filter((line) => line.startsWith('tool_call_duration_seconds_bucket{') && line.includes(' # {'));
    expect(exemplars).toHaveLength(1);
    expect(exemplars[0]).toMatch(new RegExp(`^tool_call_duration_seconds_bucket\\{le="[^"]+",tool="echo"\\} 1 # \\{trace_id="${TRACE_ID}"\\} [0-9.e-]+ [0-9.]+$`));
    expect(body.trimEnd().endsWith('# EOF')).toBe(true);
    // Every metric of the runbook is still there, in the other format.
    for (const name of ['tool_calls_total', 'tool_call_duration_seconds', 'approvals_queued_total', 'process_uptime_seconds']) expect(body).toContain(`# TYPE ${name.replace(/_total$/, '')}`);
  });

  it('a call outside any trace is counted without an exemplar', async () => {
    await tracing.stop();
    try {
      const { call, metrics } = await served({ metrics: { openMetrics: true } });
      expect((await call()).status).toBe(200);
      const { body } = await metrics();
      expect(body).toMatch(/tool_call_duration_seconds_count\{tool="echo"\} 1/);
      expect(body).not.toContain(' # {');
    } finally {
      tracing = startInMemoryTracing();
    }
  });

  it('by default, /metrics is the Prometheus text format, with no exemplars even for traced calls', async () => {
    const { call, metrics } = await served({});
    expect((await call({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` })).status).toBe(200);
    const { contentType, body } = await metrics();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toMatch(/tool_call_duration_seconds_count\{tool="echo"\} 1/);
    expect(body).not.toContain(TRACE_ID);
    expect(body).not.toContain('# EOF');
  });
});
