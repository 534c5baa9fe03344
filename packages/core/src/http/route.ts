import type { z } from 'zod';
import type { Role } from '../auth/roles.js';
import { BadRequestError, ForbiddenError } from '../errors/index.js';
import { checkInput } from '../errors/zod-issues.js';
import { ANONYMOUS_CALLER, type Caller } from '../pipeline/caller.js';
import type { GatewayServices } from '../services.js';
import { readJsonBody } from './json-body.js';
import type { GatewayRequest, GatewayResponse } from './types.js';

/** The HTTP methods a route may declare. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Who may call a route: anyone (`none`), anyone but with the caller known when a token is sent
 * (`optional`; a bad token is still a 401), any holder of a valid access token (`bearer`), or a
 * holder whose role is in the list.
 */
export type RouteAuth = 'none' | 'optional' | 'bearer' | readonly Role[];

/** What a route's handler gets: the request already checked against the route's schemas. */
export interface RouteContext<Body, Query> {
  readonly services: GatewayServices;
  /** Every route the gateway serves (core's and its plugins'), e.g. for a generated document. */
  readonly routes: readonly Route[];
  readonly request: GatewayRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  readonly body: Body;
  /** The authenticated caller; anonymous on `auth: 'none'` routes. */
  readonly caller: Caller;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/**
 * What `defineRoute` takes: method, path, summary, who may call it, the body and query schemas, and the
 * handler.
 */
export interface RouteSpec<Body, Query> {
  readonly method: RouteMethod;
  /** `/approvals/:id` style; params arrive decoded in `context.params`. */
  readonly path: string;
  /** One line for the OpenAPI document and the README. */
  readonly summary: string;
  readonly auth: RouteAuth;
  /**
   * A JSON body is read and checked only for routes that declare one. A route without one finds
   * the body unread in `context.request.body` (a plugin speaking `fetch` passes it to `toWebRequest`).
   */
  readonly body?: z.ZodType<Body>;
  /** The body may be left out entirely (then `body` is `undefined`). */
  readonly bodyOptional?: boolean;
  /** The body's JSON Schema for the OpenAPI document when it depends on the gateway (the tools); default: from `body`. */
  readonly describeBody?: (services: GatewayServices) => Record<string, unknown>;
  /** The success response's media type, for the OpenAPI document. Default `application/json`. */
  readonly produces?: string;
  readonly query?: z.ZodType<Query>;
  /**
   * Answers the request, once auth, query and body are checked; throw a `GatewayError` to answer with an
   * error.
   */
  handle(context: RouteContext<Body, Query>): GatewayResponse | Promise<GatewayResponse>;
}

/** What the route table passes to a matched route. */
export interface RouteInput {
  readonly services: GatewayServices;
  readonly routes: readonly Route[];
  readonly request: GatewayRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly searchParams: URLSearchParams;
  readonly signal: AbortSignal;
}

/** A route with its types erased, as the route table holds it. */
export interface Route {
  readonly method: RouteMethod;
  readonly path: string;
  readonly summary: string;
  readonly auth: RouteAuth;
  readonly bodySchema: z.ZodType | undefined;
  readonly bodyOptional: boolean;
  /** The body's JSON Schema for the OpenAPI document, when it depends on the gateway. */
  readonly describeBody: ((services: GatewayServices) => Record<string, unknown>) | undefined;
  readonly produces: string;
  readonly querySchema: z.ZodType | undefined;
  /** Runs the route's steps in order (auth, query, body, handler) and answers. */
  run(input: RouteInput): Promise<GatewayResponse>;
}

function firstValues(searchParams: URLSearchParams): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of searchParams) if (!Object.hasOwn(query, key)) query[key] = value;
  return query;
}

function headerValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

async function authenticate(auth: RouteAuth, input: RouteInput): Promise<Caller> {
  if (auth === 'none') return ANONYMOUS_CALLER;
  const header = headerValue(input.request.headers.authorization);
  if (auth === 'optional' && header === undefined) return ANONYMOUS_CALLER;
  const caller = await input.services.auth.authenticateHeader(header);
  if (auth !== 'bearer' && auth !== 'optional' && (caller.role === undefined || !auth.includes(caller.role))) {
    throw new ForbiddenError(`this needs the ${auth.join(' or ')} role`);
  }
  return caller;
}

/** No body was sent: `curl -X POST` without `-d` sends neither a length nor chunks. */
function hasNoBody(request: GatewayRequest): boolean {
  if (request.body.kind === 'none') return true;
  if (request.body.kind === 'parsed') return false;
  const length = headerValue(request.headers['content-length']);
  return length === '0' || (length === undefined && headerValue(request.headers['transfer-encoding']) === undefined);
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const checked = checkInput(schema, value);
  if (checked.ok) return checked.data;
  const { issues } = checked;
  throw new BadRequestError(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
}

/** A route handler's context: a class, so `signal` stays a getter on the prototype, read only if used. */
class RouteCall<Body, Query> implements RouteContext<Body, Query> {
  readonly services: GatewayServices;
  readonly routes: readonly Route[];
  readonly request: GatewayRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly #input: RouteInput;

  constructor(
    input: RouteInput,
    readonly query: Query,
    readonly body: Body,
    readonly caller: Caller,
  ) {
    this.services = input.services;
    this.routes = input.routes;
    this.request = input.request;
    this.params = input.params;
    this.#input = input;
  }

  get signal(): AbortSignal {
    return this.#input.signal;
  }
}

/**
 * Declares a route. The order every request goes through lives here, once: auth -> query -> body
 * -> handler, so an unauthenticated caller never makes the gateway read a body.
 */
export function defineRoute<Body = undefined, Query = undefined>(spec: RouteSpec<Body, Query>): Route {
  return {
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    auth: spec.auth,
    bodySchema: spec.body,
    bodyOptional: spec.bodyOptional === true,
    describeBody: spec.describeBody,
    produces: spec.produces ?? 'application/json',
    querySchema: spec.query,
    async run(input) {
      const caller = await authenticate(spec.auth, input);
      const query = spec.query === undefined ? undefined : parseOrThrow(spec.query, firstValues(input.searchParams), 'query');
      const body =
        spec.body === undefined || (spec.bodyOptional === true && hasNoBody(input.request))
          ? undefined
          : parseOrThrow(
              spec.body,
              await readJsonBody(input.request, { maxBytes: input.services.bodyLimitBytes }),
              'request body',
            );
      // Without a schema the value is `undefined`, which is what the default type parameter says.
      return spec.handle(new RouteCall(input, query as Query, body as Body, caller));
    },
  };
}
