/**
 * `@agent-gateway/fastify`: the gateway as an encapsulated Fastify 5 plugin, `gatewayPlugin`. It only
 * translates; routes, body reading, limits and errors are core's.
 *
 * @module @agent-gateway/fastify
 */
import type { Gateway } from '@agent-gateway/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Options of `app.register(gatewayPlugin, { gateway, prefix })`; `prefix` is Fastify's own. */
export interface GatewayPluginOptions {
  /** The gateway whose routes the plugin serves. */
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
  const serve = (request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    // Core writes the response (SSE included) straight to Node's response.
    reply.hijack();
    const url = request.raw.url ?? '/';
    const relative = prefix !== '' && url.startsWith(prefix) ? url.slice(prefix.length) : url;
    return gateway.handleNode(request.raw, reply.raw, {
      url: relative === '' || relative.startsWith('?') ? `/${relative}` : relative,
      unmatched: 'respond',
    });
  };
  // Served as soon as Fastify has routed the request: the body parsing, validation and handler stages
  // that follow would only hand the same request on. Not calling `done` ends Fastify's lifecycle here.
  app.addHook('onRequest', (request, reply, _done) => {
    void serve(request, reply);
  });
  app.route({
    method: METHODS,
    url: '/*',
    exposeHeadRoute: false,
    // Never reached (the hook answers every request of this route); Fastify needs a handler to route.
    handler: async (request, reply) => {
      await serve(request, reply);
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
