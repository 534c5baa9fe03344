import type { Route } from '../http/route.js';
import type { GatewayServices } from '../services.js';

/**
 * A feature that plugs into the gateway from outside core (the MCP endpoint, MCP upstreams, the
 * console): routes every adapter then serves with no change, and a lifecycle. Models:
 * graphql-yoga's plugin list, whatwg-node's `onDispose`.
 *
 * @example
 * const hello = definePlugin({
 *   name: 'hello',
 *   routes: [defineRoute({ method: 'GET', path: '/hello', summary: 'Says hello', auth: 'none', handle: () => jsonResponse(200, { hello: 'world' }) })],
 * });
 * new Gateway({ plugins: [hello] });
 */
export interface GatewayPlugin {
  /** Unique among a gateway's plugins; names the plugin in logs and errors. */
  readonly name: string;
  /** Served beside core's routes, listed in `/openapi.json`; a path and method taken twice is refused. */
  readonly routes?: readonly Route[];
  /**
   * Runs once, in plugin order, when the gateway is built: register tools, connect upstreams.
   * Requests wait until every plugin's `onInit` has settled; if one fails, routes answer 503.
   */
  onInit?(services: GatewayServices): void | Promise<void>;
  /** Runs when the gateway closes, after its running calls settled, in reverse plugin order. */
  close?(): void | Promise<void>;
}

/** Types a plugin where it is written; it returns the plugin unchanged. */
export function definePlugin<Plugin extends GatewayPlugin>(plugin: Plugin): Plugin {
  return plugin;
}
