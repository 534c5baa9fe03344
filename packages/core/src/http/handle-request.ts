import type { Span } from '@opentelemetry/api';
import { BadRequestError } from '../errors/index.js';
import { nameRoute, traceRequest } from '../tracing/index.js';
import type { GatewayServices } from '../services.js';
import { errorResponse } from './responses.js';
import { routeNotFound, type RouteTable } from './route-table.js';
import type { Route, RouteInput } from './route.js';
import type { GatewayRequest, GatewayResponse, HandleOptions } from './types.js';

const NEVER_ABORTED = new AbortController().signal;

/** A path the URL parser would return unchanged: non-empty segments of plain characters, no query. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)*\/?$/;

export function parseRequestUrl(url: string): { pathname: string; searchParams: URLSearchParams } {
  // Most requests (`/tools/call`, `/health`) need no parsing: WHATWG URL parsing is a real cost per request.
  if (PLAIN_PATH.test(url)) return { pathname: url === '' ? '/' : url, searchParams: new URLSearchParams() };
  try {
    // The base only makes a path parseable; the host is never used.
    return new URL(url, 'http://gateway.invalid');
  } catch {
    throw new BadRequestError('the request URL is malformed');
  }
}

/** What a matched route gets. `signal` is a getter on the prototype: a Node request's signal is made on first use, and most routes never use it. */
class MatchedRequest implements RouteInput {
  constructor(
    readonly services: GatewayServices,
    readonly routes: readonly Route[],
    readonly request: GatewayRequest,
    readonly params: Readonly<Record<string, string>>,
    readonly searchParams: URLSearchParams,
  ) {}

  get signal(): AbortSignal {
    return this.request.signal ?? NEVER_ABORTED;
  }
}

/**
 * Serves one request from the route table. Resolves to `undefined` only when no route matches
 * and the adapter asked to pass such requests on to its host app; otherwise every outcome,
 * errors included, is a response. Never rejects. `ready` settles once the gateway's plugins have
 * started; a request that arrives earlier waits for it.
 */
export function handleRequest(
  services: GatewayServices,
  table: RouteTable,
  ready: Promise<void>,
  request: GatewayRequest,
  options: HandleOptions = {},
): Promise<GatewayResponse | undefined> {
  return traceRequest(request, (span) => serve(services, table, ready, request, options, span));
}

async function serve(
  services: GatewayServices,
  table: RouteTable,
  ready: Promise<void>,
  request: GatewayRequest,
  options: HandleOptions,
  span: Span | undefined,
): Promise<GatewayResponse | undefined> {
  try {
    const url = parseRequestUrl(request.url);
    const method = request.method.toUpperCase();
    const match = table.match(method, url.pathname);
    if (match.kind === 'none') {
      if (options.unmatched === 'pass') return undefined;
      throw routeNotFound(method, url.pathname);
    }
    if (match.kind === 'method-not-allowed') throw match.error;
    nameRoute(span, method, match.route.path, url.pathname);
    await ready;
    return await match.route.run(new MatchedRequest(services, table.routes, request, match.params, url.searchParams));
  } catch (error) {
    return errorResponse(error, services.logger);
  }
}
