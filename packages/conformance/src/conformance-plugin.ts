import { z } from 'zod';
import { type GatewayPlugin } from '@agent-gateway/core';
import { defineRoute, definePlugin, fromWebResponse, toWebRequest } from '@agent-gateway/core/http';

/** What the plugin saw, so the suite can prove its lifecycle ran. */
export interface PluginProbe {
  initialised: boolean;
  closed: boolean;
}

/**
 * A feature from outside core, as the MCP endpoint will be: a handler that speaks `fetch`
 * (`Request -> Response`), served through core's bridge, a streaming route, and a tool it
 * registers when the gateway starts. Every adapter serves it with no change of its own.
 */
async function echoHandler(request: Request): Promise<Response> {
  const body = (await request.json()) as unknown;
  return Response.json({ method: request.method, path: new URL(request.url).pathname, header: request.headers.get('x-probe'), body }, { status: 201, headers: { 'x-plugin': 'conformance' } });
}

function ticks(): Response {
  const encoder = new TextEncoder();
  let n = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      n += 1;
      controller.enqueue(encoder.encode(`data: tick ${n}\n\n`));
      if (n === 3) controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

export function conformancePlugin(probe: PluginProbe): GatewayPlugin {
  return definePlugin({
    name: 'conformance-plugin',
    routes: [
      defineRoute({
        method: 'POST',
        path: '/plugin/echo',
        summary: 'Echoes the request through a fetch-style handler (a plugin route)',
        auth: 'bearer',
        async handle({ services, request }) {
          return fromWebResponse(await echoHandler(await toWebRequest(request, { maxBytes: services.bodyLimitBytes })));
        },
      }),
      defineRoute({
        method: 'GET',
        path: '/plugin/ticks',
        summary: 'Three server-sent events from a fetch-style handler (a plugin route)',
        auth: 'none',
        produces: 'text/event-stream',
        handle: () => fromWebResponse(ticks()),
      }),
    ],
    onInit(services) {
      services.registerTool({ name: 'plugin.ping', description: 'Registered by a plugin', args: z.object({}), run: () => 'pong' });
      probe.initialised = true;
    },
    close() {
      probe.closed = true;
    },
  });
}
