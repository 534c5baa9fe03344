import { isGatewayError, type GatewayResponse, type TokenService } from '@agent-gateway/core';
import { jsonResponse, type GatewayRequest } from '@agent-gateway/core/http';
import type { ResolvedOptions } from './options.js';

/** Where RFC 9728 puts the document, at the root of the host. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';

function headerOf(request: GatewayRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The origin clients use: the configured resource URL's, else the request's own `Host` (already
 * accepted by the DNS-rebinding check when that is on). The scheme of a bare `Host` is http: a
 * gateway behind TLS sits behind a proxy, and then `resourceUrl` says what clients see.
 */
export function publicOrigin(options: ResolvedOptions, request: GatewayRequest): string {
  if (options.resourceUrl !== undefined) return options.resourceUrl.origin;
  const host = headerOf(request, 'host') ?? '127.0.0.1';
  return URL.canParse(`http://${host}`) ? new URL(`http://${host}`).origin : 'http://127.0.0.1';
}

/** The endpoint's resource identifier: the configured URL, else this origin plus the endpoint's path. */
export function resourceOf(options: ResolvedOptions, request: GatewayRequest): string {
  return options.resourceUrl?.href ?? `${publicOrigin(options, request)}${options.path}`;
}

/**
 * The RFC 9728 protected-resource metadata of the endpoint. Its authorization servers are the issuers
 * of the external identity providers the token service accepts, so OAuth-capable clients learn where
 * to sign in (none configured: an empty list, and clients use the gateway's own tokens).
 */
export function resourceMetadata(options: ResolvedOptions, request: GatewayRequest, auth: TokenService): Record<string, unknown> {
  return {
    resource: resourceOf(options, request),
    authorization_servers: auth.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: 'Intelli Agent Gateway',
  };
}

/** `Bearer resource_metadata="…"` (RFC 9728 §5.1), with RFC 6750's error when a token was sent and failed. */
function challenge(options: ResolvedOptions, request: GatewayRequest, tokenSent: boolean): string {
  const metadataUrl = `${publicOrigin(options, request)}${METADATA_PATH}`;
  return tokenSent ? `Bearer error="invalid_token", resource_metadata="${metadataUrl}"` : `Bearer resource_metadata="${metadataUrl}"`;
}

/**
 * A 401 as MCP clients expect it: the gateway's error body, and a challenge that names the metadata
 * document, from which an OAuth-capable client finds the authorization server. Any other failure
 * (the token store down, 503) is not a challenge: `undefined`, and the route answers it as usual.
 */
export function unauthorizedResponse(error: unknown, options: ResolvedOptions, request: GatewayRequest): GatewayResponse | undefined {
  if (!isGatewayError(error) || error.status !== 401) return undefined;
  const tokenSent = headerOf(request, 'authorization') !== undefined;
  return jsonResponse(error.status, error.toJSON(), { ...error.headers, 'www-authenticate': challenge(options, request, tokenSent) });
}
