import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayServices } from '../services.js';
import { handleRequest } from './handle-request.js';
import { fromNodeRequest, sendNodeResponse, type NodeRequestOptions } from './node.js';
import type { RouteTable } from './route-table.js';
import type { GatewayRequest, GatewayResponse, HandleOptions } from './types.js';

/** The three ways a server hands the gateway a request: what `Gateway` delegates to. */
export interface RequestHandler {
  /**
   * Serves one framework-free request from the route table. Resolves to `undefined` only when no
   * route matches and `unmatched` is `'pass'`. Never rejects.
   */
  handle(request: GatewayRequest, options?: HandleOptions): Promise<GatewayResponse | undefined>;
  /**
   * Serves a Node request/response pair: what both adapters call. Resolves to `false` when the
   * request was passed on (nothing was written), `true` when the gateway answered it. Never rejects.
   */
  handleNode(req: IncomingMessage, res: ServerResponse, options?: NodeRequestOptions & HandleOptions): Promise<boolean>;
  /** A `node:http` request listener serving every route, with JSON 404s for the rest. */
  nodeListener(): (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * Serving as a function of the services and the route table: the HTTP layer depends on the
 * gateway's parts, and the gateway only assembles (model: tRPC's resolveResponse, where the
 * router and context are data and procedures never see a server).
 */
export function createRequestHandler(services: GatewayServices, table: RouteTable, ready: Promise<void>): RequestHandler {
  const handle: RequestHandler['handle'] = (request, options) => handleRequest(services, table, ready, request, options);
  const handleNode: RequestHandler['handleNode'] = async (req, res, options = {}) => {
    const response = await handle(fromNodeRequest(req, res, options), options);
    if (response === undefined) return false;
    try {
      await sendNodeResponse(res, response, services.logger, req);
    } catch (error) {
      // The answer could not be written (socket gone, bad header): nothing useful can reach this client.
      services.logger.error('failed to write a response', { error });
      res.destroy();
    }
    return true;
  };
  return {
    handle,
    handleNode,
    nodeListener: () => (req, res) => {
      void handleNode(req, res, { unmatched: 'respond' });
    },
  };
}
