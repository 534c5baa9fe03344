import { BadRequestError } from '../errors/index.js';
import type { Gateway } from '../gateway.js';
import type { Logger } from '../logging/logger.js';
import { errorResponse } from './responses.js';
import { routeNotFound, type RouteTable } from './route-table.js';
import type { GatewayRequest, GatewayResponse, HandleOptions } from './types.js';

const NEVER_ABORTED = new AbortController().signal;

function parseUrl(url: string): URL {
  try {
    // The base only makes a path parseable; the host is never used.
    return new URL(url, 'http://gateway.invalid');
  } catch {
    throw new BadRequestError('the request URL is malformed');
  }
}

/**
 * Serves one request from the route table. Resolves to `undefined` only when no route matches
 * and the adapter asked to pass such requests on to its host app; otherwise every outcome,
 * errors included, is a response. Never rejects.
 */
export async function handleRequest(
  gateway: Gateway,
  table: RouteTable,
  logger: Logger,
  request: GatewayRequest,
  options: HandleOptions = {},
): Promise<GatewayResponse | undefined> {
  try {
    const url = parseUrl(request.url);
    const method = request.method.toUpperCase();
    const match = table.match(method, url.pathname);
    if (match.kind === 'none') {
      if (options.unmatched === 'pass') return undefined;
      throw routeNotFound(method, url.pathname);
    }
    if (match.kind === 'method-not-allowed') throw match.error;
    return await match.route.run({
      gateway,
      request,
      params: match.params,
      searchParams: url.searchParams,
      signal: request.signal ?? NEVER_ABORTED,
    });
  } catch (error) {
    return errorResponse(error, logger);
  }
}
