import { GatewayError, InternalError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import type { BufferedResponse, EventStreamResponse, ResponseHeaders } from './types.js';

/** Sent with every gateway response: JSON is never sniffed as HTML, and nothing is cached. */
export const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

const JSON_HEADERS: ResponseHeaders = Object.freeze({
  ...COMMON_HEADERS,
  'content-type': 'application/json; charset=utf-8',
});

/** A JSON response with the gateway's common headers (`no-store`, `nosniff`). */
export function jsonResponse(status: number, body: unknown, headers?: ResponseHeaders): BufferedResponse {
  return {
    status,
    headers: headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

/** A text response of the given content type, with the gateway's common headers. */
export function textResponse(status: number, body: string, contentType: string): BufferedResponse {
  return { status, headers: { ...COMMON_HEADERS, 'content-type': contentType }, body };
}

/** A Server-Sent Events response (200, `text/event-stream`, no buffering) whose chunks `events` yields. */
export function eventStreamResponse(events: EventStreamResponse['events']): EventStreamResponse {
  return {
    status: 200,
    headers: {
      ...COMMON_HEADERS,
      'cache-control': 'no-cache, no-transform',
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      // Reverse proxies (nginx) otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
    events,
  };
}

/**
 * The one place errors become responses. A GatewayError answers with its own status, code and
 * message; anything else is a bug or an outage: it is logged with its stack and the client gets a
 * bare 500 that reveals nothing.
 */
export function errorResponse(error: unknown, logger: Logger): BufferedResponse {
  // A GatewayError was logged, if it needed to be, where it was raised (e.g. a tool's failure).
  if (error instanceof GatewayError) return jsonResponse(error.status, error.toJSON(), error.headers);
  logger.error('unhandled error while serving a request', { error });
  const internal = new InternalError();
  return jsonResponse(internal.status, internal.toJSON());
}
