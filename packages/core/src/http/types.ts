/** Request headers as Node gives them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The body as the adapter has it. Normally the raw stream, which core reads with its own limit
 * and checks; `parsed` when the host's framework already consumed the stream with its own parser
 * (core still applies its depth and prototype-key checks to the value).
 */
export type RequestBody =
  | { readonly kind: 'stream'; readonly stream: AsyncIterable<Uint8Array> }
  | { readonly kind: 'parsed'; readonly value: unknown }
  | { readonly kind: 'none' };

/** A framework-free HTTP request: what an adapter hands to `gateway.handle()`. */
export interface GatewayRequest {
  readonly method: string;
  /** Path and query relative to where the gateway is mounted, e.g. `/tools/call?x=1`. */
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly body: RequestBody;
  readonly remoteAddress?: string | undefined;
  /** Aborted when the client goes away. */
  readonly signal?: AbortSignal | undefined;
}

/** Response headers: lower-case names, one value each. */
export type ResponseHeaders = Readonly<Record<string, string>>;

/** A complete response: status, headers and an already serialised body. */
export interface BufferedResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly body: string;
}

/**
 * A streaming response (Server-Sent Events): `events` yields text chunks until it ends or the
 * signal aborts because the client went away.
 */
export interface EventStreamResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Yields the stream's text chunks until it ends or `signal` aborts (the client went away). */
  readonly events: (signal: AbortSignal) => AsyncIterable<string>;
}

/** What the gateway answers a request with: a buffered response or an event stream. */
export type GatewayResponse = BufferedResponse | EventStreamResponse;

/** What to do with a request no route matches: answer 404 JSON, or let the host's app have it. */
export type UnmatchedRequests = 'respond' | 'pass';

/** Options of `gateway.handle(request, options)`. */
export interface HandleOptions {
  /**
   * A request no route matches: `respond` (default) answers the JSON 404, `pass` returns undefined for the
   * host to handle.
   */
  readonly unmatched?: UnmatchedRequests;
}

/** Whether a response is an event stream rather than a buffered body. */
export function isEventStream(response: GatewayResponse): response is EventStreamResponse {
  return 'events' in response;
}
