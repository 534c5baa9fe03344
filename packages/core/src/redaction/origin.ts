import { BadRequestError } from '../errors/index.js';

/**
 * `scheme://host[:port]`, lower-case host, default port dropped: URL's own origin. Accepts a full URL
 * when `fromUrl` (a snapshot's `url`); otherwise only an origin (a trailing `/` is tolerated).
 */
export function normalizeOrigin(value: string, options: { fromUrl?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BadRequestError(`${JSON.stringify(value.slice(0, 200))} is not an origin such as https://bank.example`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadRequestError(`origin must be http:// or https://, got ${JSON.stringify(url.protocol)}`);
  }
  // An http(s) URL's pathname is never empty: at least `/`.
  const extra = url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/';
  if (extra && options.fromUrl !== true) {
    throw new BadRequestError(`${JSON.stringify(value.slice(0, 200))} is not an origin: drop the path, query and credentials`);
  }
  return url.origin;
}
