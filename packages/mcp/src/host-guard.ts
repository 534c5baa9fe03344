import type { GatewayRequest, RequestHeaders } from '@agent-gateway/core/http';
import { hostHeaderValidationResponse, originValidationResponse } from '@modelcontextprotocol/server';
import type { ResolvedOptions } from './options.js';

function headerOf(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * DNS-rebinding protection, before authentication and before the body is read: a page on another
 * site that resolves its name to 127.0.0.1 gets a 403 instead of reaching the gateway as if it were
 * local. The SDK's own checks answer, so the refusal is the JSON-RPC error the SDK's servers send;
 * they look at headers only, so they get a request without the body.
 */
export function dnsRebindingRefusal(options: ResolvedOptions, request: GatewayRequest): Response | undefined {
  if (options.allowedHosts === false && options.allowedOrigins === false) return undefined;
  const headers = new Headers();
  for (const name of ['host', 'origin']) {
    const value = headerOf(request.headers, name);
    // A value `Headers` will not hold is no host or origin at all: the check then refuses it.
    if (value !== undefined) {
      try {
        headers.set(name, value);
      } catch {
        headers.set(name, 'invalid.invalid');
      }
    }
  }
  const probe = new Request('http://gateway.invalid/', { headers });
  return (
    (options.allowedHosts === false ? undefined : hostHeaderValidationResponse(probe, [...options.allowedHosts])) ??
    (options.allowedOrigins === false ? undefined : originValidationResponse(probe, [...options.allowedOrigins]))
  );
}
