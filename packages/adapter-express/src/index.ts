/**
 * `@agent-gateway/express`: the gateway as an Express 5 Router, `gatewayRouter(gateway)`. It only
 * translates; routes, body reading, limits and errors are core's.
 *
 * @module @agent-gateway/express
 */
import type { Gateway } from '@agent-gateway/core';
import { Router, type NextFunction, type Request, type Response } from 'express';

/** Options of `gatewayRouter(gateway, options)`. */
export interface GatewayRouterOptions {
  /** Serve the gateway under this path inside the router (the same as mounting the router there). */
  readonly prefix?: string;
  /**
   * What happens to a request under the router that is no gateway route: `true` (default) hands
   * it to the next handler of the host app; `false` answers with the gateway's JSON 404.
   */
  readonly fallthrough?: boolean;
}

/**
 * The gateway's routes as an Express 5 Router. It only translates: core reads the body (so the
 * host's `express.json()` is neither needed nor in the way), runs the route and writes the
 * response. Mount it anywhere: `app.use('/gateway', gatewayRouter(gateway))`.
 */
export function gatewayRouter(gateway: Gateway, options: GatewayRouterOptions = {}): Router {
  const unmatched = options.fallthrough === false ? 'respond' : 'pass';
  const router = Router();
  router.use(options.prefix ?? '/', (req: Request, res: Response, next: NextFunction) => {
    // `req.url` is relative to the mount point; `req.body` is set only if a host parser ran.
    gateway
      .handleNode(req, res, { url: req.url, parsedBody: req.body as unknown, unmatched })
      .then((handled) => {
        if (!handled) next();
      }, next);
  });
  return router;
}
