import type { Duplex } from 'node:stream';
import { BadRequestError, GatewayError } from '../errors/index.js';

/** 431: the request line and headers together exceed the server's limit (`--max-http-header-size`). */
export class HeadersTooLargeError extends GatewayError {
  override readonly name = 'HeadersTooLargeError';
  constructor() {
    super('headers_too_large', 'the request headers are too large');
  }
}

/** 408: the client did not send a whole request in time (`server.requestTimeout`, `headersTimeout`). */
export class RequestTimeoutError extends GatewayError {
  override readonly name = 'RequestTimeoutError';
  constructor() {
    super('request_timeout', 'the request was not received in time');
  }
}

/** What Node's HTTP parser reported, as the gateway error a client should read. */
export function clientErrorOf(error: Error & { readonly code?: string }): GatewayError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeadersTooLargeError();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError();
    default:
      return new BadRequestError('the request is not valid HTTP');
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * A `clientError` handler for a Node HTTP server (and Fastify's `clientErrorHandler`). Node answers
 * a request it cannot parse before any route sees it, with a bare status line; this answers with the
 * gateway's JSON error shape instead, so a client meets one error format whatever went wrong.
 *
 *   server.on('clientError', answerClientError);          // node:http, Express
 *   Fastify({ clientErrorHandler: answerClientError });    // Fastify
 */
export function answerClientError(error: Error & { readonly code?: string }, socket: Duplex): void {
  // A reset peer or a response already under way has no one to read an error.
  if (error.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
    socket.destroy();
    return;
  }
  const failure = clientErrorOf(error);
  const body = JSON.stringify(failure.toJSON());
  socket.end(
    `HTTP/1.1 ${failure.status} ${STATUS_TEXT[failure.status] ?? 'Bad Request'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      'cache-control: no-store\r\n' +
      'x-content-type-options: nosniff\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}

/** Node keeps the response it is writing on the socket; once its headers went out, a second status line would corrupt the stream. */
function responseStarted(socket: Duplex): boolean {
  const current = (socket as Duplex & { readonly _httpMessage?: { readonly headersSent?: boolean } | null })._httpMessage;
  return current?.headersSent === true;
}
