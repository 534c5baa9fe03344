import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger.js';
import type { GatewayRequest, GatewayResponse, RequestBody, RequestHeaders } from './types.js';
import { isEventStream } from './types.js';

/** Options of `gateway.handleNode(req, res, options)`, for adapters. */
export interface NodeRequestOptions {
  /** The URL relative to the gateway's mount point; defaults to `req.url`. */
  readonly url?: string;
  /**
   * A body the host's framework already parsed (e.g. `express.json()` ran first). `undefined`
   * means the stream is still unread and core reads it.
   */
  readonly parsedBody?: unknown;
}

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

function bodyOf(req: IncomingMessage, parsedBody: unknown): RequestBody {
  if (parsedBody !== undefined) return { kind: 'parsed', value: parsedBody };
  if (METHODS_WITHOUT_BODY.has(req.method ?? 'GET') || req.readableEnded) return { kind: 'none' };
  return { kind: 'stream', stream: req };
}

/**
 * Node's request as core's plain request. A class, not an object literal with a getter: the getter then
 * lives once on the prototype instead of being made, with its closure, for every request. The signal,
 * and the listener behind it, are made only if something asks for them: most requests never do.
 */
class NodeGatewayRequest implements GatewayRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly body: RequestBody;
  readonly remoteAddress: string | undefined;
  readonly #res: ServerResponse;
  #controller: AbortController | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, options: NodeRequestOptions) {
    this.method = req.method ?? 'GET';
    this.url = options.url ?? req.url ?? '/';
    this.headers = req.headers;
    this.body = bodyOf(req, options.parsedBody);
    this.remoteAddress = req.socket.remoteAddress;
    this.#res = res;
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    const made = new AbortController();
    this.#controller = made;
    const res = this.#res;
    // Closed before anyone asked, without the answer sent: the client is already gone.
    if (res.closed) {
      if (!res.writableFinished) made.abort();
    } else {
      res.once('close', () => {
        if (!res.writableFinished) made.abort();
      });
    }
    return made.signal;
  }
}

/** Node's request as core's plain request; `signal` aborts when the client disconnects. */
export function fromNodeRequest(req: IncomingMessage, res: ServerResponse, options: NodeRequestOptions = {}): GatewayRequest {
  return new NodeGatewayRequest(req, res, options);
}

async function streamEvents(res: ServerResponse, response: Extract<GatewayResponse, { events: unknown }>): Promise<void> {
  const controller = new AbortController();
  const onClose = (): void => controller.abort();
  res.once('close', onClose);
  res.writeHead(response.status, response.headers);
  res.flushHeaders();
  try {
    for await (const chunk of response.events(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!res.write(chunk)) await once(res, 'drain', { signal: controller.signal });
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    res.off('close', onClose);
    controller.abort();
    if (!res.writableEnded) res.end();
  }
}

/**
 * Writes core's response to Node's response: a buffered body in one write, or an event stream. A
 * request whose body was left unread (refused before or while reading it) gets `Connection: close`:
 * kept alive, Node would go on reading whatever the client still sends, for as long as it sends it.
 */
export async function sendNodeResponse(res: ServerResponse, response: GatewayResponse, logger: Logger, req?: IncomingMessage): Promise<void> {
  if (res.headersSent) {
    logger.error('response already started by someone else; gateway response dropped', { status: response.status });
    return;
  }
  if (isEventStream(response)) {
    try {
      await streamEvents(res, response);
    } catch (error) {
      logger.error('event stream failed', { error });
      res.destroy();
    }
    return;
  }
  const bodyLeftUnread = req !== undefined && !req.complete;
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
    ...(bodyLeftUnread ? { connection: 'close' } : {}),
  });
  res.end(response.body);
}
