import { Readable } from 'node:stream';
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors/index.js';
import type { GatewayRequest, RequestHeaders } from './types.js';

/** Deeper than any honest tool call; shallow enough that no recursive walk can overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/** The limits `readJsonBody` applies: the largest body in bytes and the deepest nesting. */
export interface JsonBodyLimits {
  readonly maxBytes: number;
  readonly maxDepth?: number;
}

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** `application/json` or `application/*+json`, in UTF-8 (the only charset JSON allows on the wire). */
function assertJsonContentType(headers: RequestHeaders): void {
  const contentType = header(headers, 'content-type');
  if (contentType === undefined) throw new UnsupportedMediaTypeError(undefined);
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const isJson = mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (!isJson || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new UnsupportedMediaTypeError(contentType);
  }
}

function cutShort(cause: unknown): InvalidJsonError {
  // The client went away mid-body (ECONNRESET, "aborted"): nobody is left to answer, and it is no bug.
  return new InvalidJsonError('the request body was cut short', { cause });
}

/**
 * A Node stream read by its events into one Buffer: no async iterator, no promise per chunk (the body
 * of every tool call is read here). Past `maxBytes` the read is refused with 413 and the stream left
 * paused, not destroyed: destroying a request from its own 'data' event takes the socket with it, and
 * the 413 with the socket. The answer closes the connection instead (see `sendNodeResponse`).
 */
function readNodeStream(stream: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const settle = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    function onData(data: Buffer | string): void {
      // A host that set an encoding on the request gets strings: counted and kept as bytes all the same.
      const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      total += chunk.byteLength;
      if (total > maxBytes) {
        settle();
        stream.pause();
        reject(new PayloadTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(): void {
      settle();
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total));
    }
    function onError(error: unknown): void {
      settle();
      reject(cutShort(error));
    }
    function onClose(): void {
      settle();
      reject(cutShort(new Error('the stream closed before its end')));
    }
    if (stream.readableEnded || stream.destroyed) {
      reject(cutShort(new Error('the stream was already read or closed')));
      return;
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * The body already in memory, taken at once: a Node request whose whole message has arrived
 * (`complete`) and nobody reads (not flowing). A small tool call usually arrives with its headers, so
 * this is the common case, and it needs no listener, promise or event. Undefined otherwise.
 */
function bufferedBody(stream: Readable, maxBytes: number): Buffer | undefined {
  if ((stream as { complete?: unknown }).complete !== true || stream.readableFlowing === true || stream.readableEnded) return undefined;
  if (stream.readableLength > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const data: unknown = stream.read();
  if (data === null) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : (data as Buffer);
}

/** The whole body, refused with 413 as soon as it passes `maxBytes`. */
export async function readAtMost(stream: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer> {
  if (stream instanceof Readable) return bufferedBody(stream, maxBytes) ?? readNodeStream(stream, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += chunk.byteLength;
      if (total > maxBytes) throw new PayloadTooLargeError(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw cutShort(error);
  }
  return Buffer.concat(chunks, total);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Walks a parsed JSON value without recursion and rejects what could hurt code downstream:
 * nesting deeper than `maxDepth`, a `__proto__` key, and a `constructor` key holding `prototype`
 * (the two shapes that pollute prototypes through merges). Rejected, not stripped, so the caller
 * learns their request was not taken as sent.
 */
export function assertSafeJsonValue(value: unknown, maxDepth: number = MAX_JSON_DEPTH): void {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, depth } = item;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= maxDepth) throw new InvalidJsonError(`JSON is nested deeper than ${maxDepth} levels`);
    if (Array.isArray(current)) {
      for (const element of current) stack.push({ value: element, depth: depth + 1 });
      continue;
    }
    for (const key of Object.keys(current)) {
      const child: unknown = (current as Record<string, unknown>)[key];
      if (key === '__proto__') throw new InvalidJsonError('JSON key "__proto__" is not allowed');
      if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
        throw new InvalidJsonError('JSON key "constructor.prototype" is not allowed');
      }
      stack.push({ value: child, depth: depth + 1 });
    }
  }
}

/**
 * Reads and parses a JSON request body: content type (415), size (413, checked against
 * Content-Length before reading and against the bytes while reading), UTF-8, syntax, depth and
 * prototype keys (400). Error messages never echo the body: it may hold a password.
 */
export async function readJsonBody(request: GatewayRequest, limits: JsonBodyLimits): Promise<unknown> {
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const { body } = request;
  if (body.kind === 'parsed') {
    assertSafeJsonValue(body.value, maxDepth);
    return body.value;
  }
  if (body.kind === 'none') throw new InvalidJsonError('request body is empty; send a JSON object');

  assertJsonContentType(request.headers);
  const declaredLength = Number(header(request.headers, 'content-length'));
  if (Number.isFinite(declaredLength) && declaredLength > limits.maxBytes) {
    throw new PayloadTooLargeError(limits.maxBytes);
  }
  const bytes = await readAtMost(body.stream, limits.maxBytes);
  if (bytes.byteLength === 0) throw new InvalidJsonError('request body is empty; send a JSON object');

  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidJsonError('request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidJsonError('request body is not valid JSON');
  }
  assertSafeJsonValue(value, maxDepth);
  return value;
}
