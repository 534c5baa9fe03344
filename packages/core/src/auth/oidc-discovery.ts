import { z } from 'zod';
import { IdentityProviderUnavailableError } from '../errors/index.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** A discovery document is a few KiB; anything near this is not one. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

const discoveryDocument = z.object({ issuer: z.string(), jwks_uri: z.string() });

/**
 * Whether keys and discovery may be fetched from `url`: https, or plain http on loopback only (a
 * provider in a test or on the same host). Anywhere else, plain http would let the network choose
 * which keys the gateway trusts.
 */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/**
 * The key set URL an OpenID provider publishes at `<issuer>/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0). The document must name the same issuer, exactly, and a key set URL
 * that is https (or loopback). Any failure is a 503: the provider, not the token, is at fault.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const location = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    // Redirects are not followed, as jose does not follow them for the key set either.
    const response = await fetch(location, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`the discovery document answered ${response.status}`);
    const text = await response.text();
    if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) throw new Error('the discovery document is too large');
    document = JSON.parse(text);
  } catch (error) {
    throw new IdentityProviderUnavailableError(error);
  }
  const parsed = discoveryDocument.safeParse(document);
  if (!parsed.success || parsed.data.issuer !== issuer) {
    throw new IdentityProviderUnavailableError(new Error(`the discovery document at ${location} does not name the issuer ${issuer} and a jwks_uri`));
  }
  const jwksUri = URL.canParse(parsed.data.jwks_uri) ? new URL(parsed.data.jwks_uri) : undefined;
  if (jwksUri === undefined || !isHttpsOrLoopback(jwksUri)) {
    throw new IdentityProviderUnavailableError(new Error(`the discovery document at ${location} names a jwks_uri that is not https`));
  }
  return jwksUri;
}
