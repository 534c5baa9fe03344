import { request as httpRequest } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = unknown>(): T;
}

export interface RawRequest {
  readonly method: string;
  readonly headers?: Record<string, string>;
  /** Sent as is; with `chunked` it goes without a Content-Length. */
  readonly body?: string | Buffer;
  readonly chunked?: boolean;
}

/**
 * A real HTTP request over a socket, with full control of headers and framing (fetch would fix
 * up Content-Type and Content-Length, which the bad-input cases need to get wrong on purpose).
 */
export function rawRequest(url: string, options: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method, headers: { ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) {
      if (!options.chunked) req.setHeader('content-length', Buffer.byteLength(options.body));
      req.write(options.body);
    }
    req.end();
  });
}

export function postJson(url: string, body: unknown, token?: string): Promise<RawResponse> {
  return rawRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function getJson(url: string, token?: string): Promise<RawResponse> {
  return rawRequest(url, { method: 'GET', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
}
