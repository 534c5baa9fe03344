import { describe, expect, it } from 'vitest';
import { Gateway, silentLogger, type Caller } from '@agent-gateway/core';
import { CallRegistry } from '../src/call-registry.js';
import { mcpPlugin } from '../src/index.js';
import { resolveOptions } from '../src/options.js';

describe('mcpPlugin options', () => {
  it('defaults: /mcp, loopback hosts and origins, a 60 s hold, 2025-era clients served', () => {
    expect(resolveOptions({})).toEqual({
      path: '/mcp',
      resourceUrl: undefined,
      allowedHosts: ['localhost', '127.0.0.1', '[::1]'],
      allowedOrigins: ['localhost', '127.0.0.1', '[::1]'],
      approvalWaitMs: 60_000,
      progressIntervalMs: 5_000,
      legacyClients: true,
    });
  });

  it('adds the resource URL\'s host to the defaults', () => {
    expect(resolveOptions({ resourceUrl: 'https://GW.example.com/mcp' }).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'gw.example.com']);
  });

  it.each([
    [{ path: 'mcp' }, /path/],
    [{ path: '/mcp/:id' }, /path/],
    [{ resourceUrl: 'not a url' }, /resourceUrl/],
    [{ resourceUrl: 'ftp://gw.example.com/mcp' }, /resourceUrl/],
    [{ resourceUrl: 'https://gw.example.com/mcp#x' }, /resourceUrl/],
    [{ approvalWaitMs: -1 }, /approvalWaitMs/],
    [{ approvalWaitMs: 600_001 }, /approvalWaitMs/],
    [{ progressIntervalMs: 10 }, /progressIntervalMs/],
    [{ allowedHosts: ['ok', ''] }, /allowedHosts/],
  ])('refuses %j at construction, naming the option', (options, message) => {
    expect(() => mcpPlugin(options)).toThrow(message);
  });

  it('refuses a second plugin on the same path: the gateway will not serve one route twice', () => {
    expect(() => new Gateway({ logger: silentLogger, plugins: [mcpPlugin(), { ...mcpPlugin(), name: 'mcp-2' }] })).toThrow();
  });
});

describe('CallRegistry', () => {
  const alice: Caller = { kind: 'user', id: 'alice', tokenId: 'token-a' };
  const aliceAgain: Caller = { kind: 'user', id: 'alice', tokenId: 'token-b' };

  it('cancels only the calls of the token that started them, by their request id', () => {
    const registry = new CallRegistry();
    const parent = new AbortController();
    const first = registry.start(alice, 1, parent.signal);
    const second = registry.start(alice, 2, parent.signal);
    registry.cancel(aliceAgain, 1, undefined);
    expect(first.signal.aborted).toBe(false);
    registry.cancel(alice, 1, 'stop');
    expect(first.signal.aborted).toBe(true);
    expect(second.signal.aborted).toBe(false);
    first.end();
    second.end();
    expect(registry.runningCount).toBe(0);
  });

  it('aborts with the request, and forgets a call once it ends', () => {
    const registry = new CallRegistry();
    const parent = new AbortController();
    const call = registry.start(alice, 'x', parent.signal);
    parent.abort();
    expect(call.signal.aborted).toBe(true);
    call.end();
    expect(registry.runningCount).toBe(0);
    const late = registry.start(alice, 'y', parent.signal);
    expect(late.signal.aborted).toBe(true);
    late.end();
  });

  it('remembers a bounded number of clients, forgetting the oldest first', () => {
    const registry = new CallRegistry();
    for (let i = 0; i <= 10_000; i += 1) registry.rememberClient({ kind: 'user', id: 'u', tokenId: `t${i}` }, { name: 'c', version: String(i) });
    expect(registry.clientOf({ kind: 'user', id: 'u', tokenId: 't0' })).toBeUndefined();
    expect(registry.clientOf({ kind: 'user', id: 'u', tokenId: 't10000' })).toEqual({ name: 'c', version: '10000' });
  });
});

describe('the OpenAPI document of a gateway with the MCP endpoint', () => {
  it('lists the endpoint and the metadata routes', async () => {
    const gateway = new Gateway({ logger: silentLogger, plugins: [mcpPlugin()] });
    const response = await gateway.handle({ method: 'GET', url: '/openapi.json', headers: {}, body: { kind: 'none' } });
    if (response === undefined || !('body' in response)) throw new Error('no document');
    const document = JSON.parse(response.body) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths['/mcp'] ?? {}).sort()).toEqual(['delete', 'get', 'post']);
    expect(document.paths['/.well-known/oauth-protected-resource']?.get).toBeDefined();
    await gateway.close();
  });
});
