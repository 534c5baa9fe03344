import { describe, expect, it } from 'vitest';
import { CONFORMANCE_BODY_LIMIT } from './conformance-gateway.js';
import { getJson, postJson, rawRequest } from './http-client.js';
import { serveConformanceGateway } from './served-gateway.js';
import type { StartServer } from './suite.js';
import { expectError } from './suite.js';

/** Issue 15: a plugin's routes are served by every adapter exactly as core's are. */
export function describePluginsConformance(name: string, start: StartServer): void {
  describe(`HTTP conformance (plugins): ${name}`, () => {
    const served = serveConformanceGateway(start);
    const { url } = served;

    it('serves a fetch-style plugin route: method, path, headers and body reach it; its status and headers come back', async () => {
      const response = await rawRequest(url('/plugin/echo'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${served.agent.token}`, 'x-probe': 'p1' },
        body: JSON.stringify({ hello: 'plugin' }),
      });
      expect(response.status, response.text).toBe(201);
      expect(response.headers['x-plugin']).toBe('conformance');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.json()).toEqual({ method: 'POST', path: '/plugin/echo', header: 'p1', body: { hello: 'plugin' } });
    });

    it('applies the route auth and the body limit to plugin routes', async () => {
      expectError(await postJson(url('/plugin/echo'), { hello: 'x' }), 401, 'unauthorized');
      expectError(await postJson(url('/plugin/echo'), { pad: 'x'.repeat(CONFORMANCE_BODY_LIMIT) }, served.agent.token), 413, 'payload_too_large');
    });

    it('streams a plugin event stream as it is produced', async () => {
      const response = await fetch(url('/plugin/ticks'));
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(await response.text()).toBe('data: tick 1\n\ndata: tick 2\n\ndata: tick 3\n\n');
    });

    it('lists plugin routes in /openapi.json and the tool the plugin registered in /tools; the tool runs through the pipeline', async () => {
      const document = (await getJson(url('/openapi.json'))).json<{ paths: Record<string, unknown> }>();
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/plugin/echo', '/plugin/ticks', '/tools/call']));
      const tools = (await getJson(url('/tools'))).json<{ tools: Array<{ name: string }> }>();
      expect(tools.tools.map((t) => t.name)).toContain('plugin.ping');
      expect((await postJson(url('/tools/call'), { tool: 'plugin.ping', args: {} }, served.agent.token)).json()).toMatchObject({ result: 'pong' });
      expect(served.conformance.pluginProbe.initialised).toBe(true);
    });

    it('answers a wrong method on a plugin path with 405', async () => {
      expectError(await getJson(url('/plugin/echo'), served.agent.token), 405, 'method_not_allowed');
    });
  });
}
