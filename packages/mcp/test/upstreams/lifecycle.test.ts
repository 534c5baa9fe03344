import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/client';
import type { UpstreamConfig } from '../../src/index.js';
import { eventually, FAULTY_SERVER, killUpstreamProcess, processesMentioning, startUpstreamGateway, stdio, type UpstreamGateway } from './support/upstream-gateway.js';

const open: UpstreamGateway[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((served) => served.close()));
});

async function start(upstreams: readonly UpstreamConfig[]): Promise<UpstreamGateway> {
  const served = await startUpstreamGateway(upstreams);
  open.push(served);
  return served;
}

function faulty(name: string, flags: readonly string[] = [], extra: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return { name, transport: stdio(FAULTY_SERVER, flags), restart: { initialMs: 50, maxMs: 1000 }, ...extra };
}

async function upstreamStatus(served: UpstreamGateway, name: string) {
  const body = (await served.get('/health/upstreams')).json<{ upstreams: Array<{ name: string; state: string; pid?: number; restarts: number; last_error?: string; skipped: Array<{ tool: string; reason: string }>; tools: string[] }> }>();
  const status = body.upstreams.find((upstream) => upstream.name === name);
  if (status === undefined) throw new Error(`no upstream ${name}`);
  return status;
}

const textOf = (result: CallToolResult) => result.content.map((block) => (block.type === 'text' ? block.text : '')).join('');

describe('stdio upstreams are processes the gateway owns', () => {
  it('a process killed mid-call fails that call with 503 upstream_unavailable, restarts, and the next call works', async () => {
    const served = await start([faulty('faulty')]);
    const { pid } = await upstreamStatus(served, 'faulty');
    expect(pid).toEqual(expect.any(Number));
    const inFlight = served.call('faulty.slow', {});
    // The call has reached the upstream once the gateway counts it in flight; then the process dies.
    await eventually(async () => (await served.get('/metrics')).text.includes('tool_calls_total{tool="faulty.slow"}'), 'the call to start');
    killUpstreamProcess(pid);
    const failed = await inFlight;
    expect(failed.status, failed.text).toBe(503);
    expect(failed.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'upstream_unavailable', message: expect.stringContaining('faulty') });

    const next = await served.call('faulty.echo', { text: 'again' });
    expect(next.status, next.text).toBe(200);
    expect(textOf(next.json<{ result: CallToolResult }>().result)).toBe('again');
    const after = await upstreamStatus(served, 'faulty');
    expect(after.state).toBe('up');
    expect(after.restarts).toBeGreaterThanOrEqual(1);
    expect(after.pid).not.toBe(pid);
    expect((await served.get('/metrics')).text).toMatch(/mcp_upstream_restarts_total\{upstream="faulty"\} [1-9]/);
  });

  it('an upstream that is down fails only its own tools, with 503 and Retry-After, while the rest of the gateway serves', async () => {
    const served = await start([faulty('flaky', [], { restart: { initialMs: 60_000, maxMs: 60_000 } }), faulty('steady')]);
    const { pid } = await upstreamStatus(served, 'flaky');
    killUpstreamProcess(pid);
    await eventually(async () => (await upstreamStatus(served, 'flaky')).state === 'down', 'the upstream to be seen down');

    const refused = await served.call('flaky.echo', { text: 'x' });
    expect(refused.status).toBe(503);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('upstream_unavailable');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await served.call('steady.echo', { text: 'fine' })).status).toBe(200);
    expect((await served.call('echo', { text: 'native' })).status).toBe(200);
    const health = await served.get('/health/upstreams');
    expect(health.status).toBe(503);
    expect((await served.get('/metrics')).text).toContain('mcp_upstream_up{upstream="flaky"} 0');
  });

  it('an upstream that cannot start does not stop the gateway: the others load, health names the failure', async () => {
    const served = await start([{ name: 'missing', transport: { kind: 'stdio', command: '/nonexistent/mcp-server' }, restart: { initialMs: 60_000, maxMs: 60_000 } }, faulty('steady')]);
    const missing = await upstreamStatus(served, 'missing');
    expect(missing.state).toBe('down');
    expect(missing.last_error).toMatch(/ENOENT/);
    expect((await served.call('steady.echo', { text: 'ok' })).status).toBe(200);
    expect((await served.call('missing.anything', {})).status).toBe(404);
  });

  it('an upstream whose listing fails is down, and its process is not left running', async () => {
    const marker = `--marker=${randomUUID()}`;
    const served = await start([faulty('unlisted', ['--list-fails', marker], { restart: { initialMs: 60_000, maxMs: 60_000 } })]);
    const status = await upstreamStatus(served, 'unlisted');
    expect(status).toMatchObject({ state: 'down', last_error: expect.stringMatching(/cannot list/) });
    await eventually(() => processesMentioning(marker).length === 0, 'the connected process to be stopped');
  });

  it('an upstream that never answers times out with 504 upstream_timeout; it keeps serving other calls', async () => {
    const served = await start([faulty('faulty', [], { toolTimeouts: { hang: 300 } })]);
    const response = await served.call('faulty.hang', {});
    expect(response.status, response.text).toBe(504);
    expect(response.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'upstream_timeout', message: expect.stringContaining('300 ms') });
    expect((await served.call('faulty.echo', { text: 'still here' })).status).toBe(200);
    expect((await served.get('/metrics')).text).toMatch(/mcp_upstream_calls_total\{upstream="faulty",tool="hang",outcome="timeout"\} 1/);
  });

  it('an upstream that prints garbage on stdout still answers: the garbage is skipped', async () => {
    const served = await start([faulty('noisy', ['--garbage'])]);
    const response = await served.call('noisy.echo', { text: 'through the noise' });
    expect(response.status, response.text).toBe(200);
    expect(textOf(response.json<{ result: CallToolResult }>().result)).toBe('through the noise');
    expect((await upstreamStatus(served, 'noisy')).state).toBe('up');
  });

  it('a tool whose schema is not valid JSON Schema is skipped with its reason; the others load', async () => {
    const served = await start([faulty('faulty', ['--invalid-schema'])]);
    const status = await upstreamStatus(served, 'faulty');
    expect(status.skipped).toEqual([{ tool: 'broken', reason: expect.stringMatching(/faulty\.broken.*not a valid JSON Schema/) }]);
    expect(status.tools).toContain('faulty.echo');
    expect((await served.call('faulty.broken', {})).status).toBe(404);
    expect((await served.call('faulty.echo', { text: 'ok' })).status).toBe(200);
  });

  it('passes only the configured environment (and PATH) to the child', async () => {
    process.env.GATEWAY_ONLY_SECRET = 'should-not-reach-the-child';
    try {
      const served = await start([faulty('faulty', [], { transport: stdio(FAULTY_SERVER, [], { GIVEN: 'yes' }) })]);
      const response = await served.call('faulty.env', { names: ['GIVEN', 'PATH', 'GATEWAY_ONLY_SECRET', 'HOME', 'USER'] });
      expect(JSON.parse(textOf(response.json<{ result: CallToolResult }>().result))).toEqual({ GIVEN: true, PATH: true, GATEWAY_ONLY_SECRET: false, HOME: false, USER: false });
    } finally {
      delete process.env.GATEWAY_ONLY_SECRET;
    }
  });

  it("start: 'lazy' lists the tools, stops the process, and starts it again on the first call", async () => {
    const marker = `--marker=${randomUUID()}`;
    const served = await start([faulty('lazy', [marker], { start: 'lazy' })]);
    const before = await upstreamStatus(served, 'lazy');
    expect(before).toMatchObject({ state: 'idle', tools: expect.arrayContaining(['lazy.echo']) });
    expect(before.pid).toBeUndefined();
    await eventually(() => processesMentioning(marker).length === 0, 'the listing process to be stopped');
    expect((await served.get('/health/upstreams')).status).toBe(200);

    const response = await served.call('lazy.echo', { text: 'woken' });
    expect(response.status, response.text).toBe(200);
    expect((await upstreamStatus(served, 'lazy')).state).toBe('up');
    expect(processesMentioning(marker)).toHaveLength(1);
  });

  it('close() kills each upstream with its process group: nothing is left in the process table', async () => {
    const marker = `--marker=${randomUUID()}`;
    const served = await startUpstreamGateway([faulty('grouped', ['--helper', marker])]);
    await eventually(() => processesMentioning(marker).length === 2, 'the server and its helper to run');
    await served.close();
    await eventually(() => processesMentioning(marker).length === 0, 'no process of the upstream to be left');
  });
});
