import { PayloadTooLargeError } from '../errors/index.js';
import { readAtMost } from './json-body.js';
import { COMMON_HEADERS, eventStreamResponse } from './responses.js';
import type { GatewayRequest, GatewayResponse, RequestHeaders } from './types.js';

/** Handlers that speak `fetch` (the MCP SDK's among them) need an absolute URL; the host is never used for routing. */
const PLACEHOLDER_ORIGIN = 'http://gateway.invalid';

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD']);

function webHeaders(headers: RequestHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    // HTTP/2 pseudo-headers (`:path`) are not headers to a fetch handler.
    if (name.startsWith(':')) continue;
    if (typeof value === 'string') out.set(name, value);
    else for (const item of value) out.append(name, item);
  }
  return out;
}

async function bodyBytes(request: GatewayRequest, maxBytes: number): Promise<Uint8Array | string | null> {
  const { body } = request;
  if (METHODS_WITHOUT_BODY.has(request.method.toUpperCase()) || body.kind === 'none') return null;
  // The host's framework parsed it already: hand it on as the JSON it was.
  if (body.kind === 'parsed') return JSON.stringify(body.value);
  const declared = Number(typeof request.headers['content-length'] === 'string' ? request.headers['content-length'] : NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  return readAtMost(body.stream, maxBytes);
}

/** Options of `toWebRequest(request, options)`. */
export interface WebRequestOptions {
  /** The gateway's body limit applies to every route: a plugin route is no way around it. */
  readonly maxBytes: number;
}

/**
 * The gateway's request as a web-standard `Request`, for a plugin route whose handler speaks
 * `fetch` (a route without a body schema gets the unread stream). The body is read here, within
 * the gateway's limit (413 past it), so a fetch handler never holds an unbounded stream.
 */
export async function toWebRequest(request: GatewayRequest, options: WebRequestOptions): Promise<Request> {
  const body = await bodyBytes(request, options.maxBytes);
  return new Request(new URL(request.url, PLACEHOLDER_ORIGIN), {
    method: request.method,
    headers: webHeaders(request.headers),
    body,
    ...(request.signal === undefined ? {} : { signal: request.signal }),
  });
}

/** The handler's headers over the gateway's defaults: nothing is cached or sniffed unless the handler says so. */
function responseHeaders(response: Response): Record<string, string> {
  const out: Record<string, string> = { ...COMMON_HEADERS };
  response.headers.forEach((value, name) => {
    // Node frames the body itself (length or chunks); a copied framing header would contradict it.
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') return;
    out[name] = value;
  });
  return out;
}

async function* chunksOf(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = (): void => {
    reader.cancel().catch(() => undefined);
  };
  signal.addEventListener('abort', cancel, { once: true });
  // A client gone before the first read fired its abort already: the read would wait on the producer.
  if (signal.aborted) cancel();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    signal.removeEventListener('abort', cancel);
    // Stops the producer (an SSE stream of the handler) when the client left or the consumer broke off.
    reader.cancel().catch(() => undefined);
  }
}

/**
 * A web-standard `Response` as the gateway's response: an event stream (`text/event-stream`) is
 * passed through chunk by chunk as it is produced, and ends when the client goes away; anything
 * else is read whole. The one bridge from `fetch` handlers back to every adapter.
 */
export async function fromWebResponse(response: Response): Promise<GatewayResponse> {
  const headers = responseHeaders(response);
  const isStream = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
  if (isStream && response.body !== null) {
    const body = response.body;
    const stream = eventStreamResponse((signal) => chunksOf(body, signal));
    return { status: response.status, headers: { ...stream.headers, ...headers }, events: stream.events };
  }
  return { status: response.status, headers, body: await response.text() };
}
