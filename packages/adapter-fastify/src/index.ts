import type { Gateway } from '@agent-gateway/core';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

export interface GatewayPluginOptions {
  readonly gateway: Gateway;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Core reads request bodies itself (its limit, content type and JSON checks apply alike on every
 * adapter), so inside this plugin Fastify must leave the body stream unread.
 */
const leaveBodyUnread = (_request: unknown, _payload: unknown, done: (error: null) => void): void => done(null);

const plugin: FastifyPluginAsync<GatewayPluginOptions> = async (app, options) => {
  const { gateway } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', leaveBodyUnread);
  const prefix = app.prefix;
  app.route({
    method: METHODS,
    url: '/*',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      // Core writes the response (SSE included) straight to Node's response.
      reply.hijack();
      const url = request.raw.url ?? '/';
      const relative = prefix !== '' && url.startsWith(prefix) ? url.slice(prefix.length) : url;
      await gateway.handleNode(request.raw, reply.raw, {
        url: relative === '' || relative.startsWith('?') ? `/${relative}` : relative,
        unmatched: 'respond',
      });
    },
  });
};

/**
 * The gateway's routes as a Fastify 5 plugin: `app.register(gatewayPlugin, { gateway, prefix: '/gateway' })`.
 * Encapsulated: its body handling and wildcard route stay inside its prefix; the host's routes,
 * hooks, body limits and error handler are untouched.
 */
export const gatewayPlugin = fp(plugin, { name: '@agent-gateway/fastify', fastify: '5.x', encapsulate: true });

export default gatewayPlugin;
