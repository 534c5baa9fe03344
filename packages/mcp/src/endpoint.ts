import type { Caller, GatewayServices } from '@agent-gateway/core';
import { fromWebResponse, toWebRequest, type GatewayRequest, type GatewayResponse } from '@agent-gateway/core/http';
import { createMcpHandler, type AuthInfo, type McpHttpHandler } from '@modelcontextprotocol/server';
import { checkBody } from './body-guard.js';
import { CallRegistry } from './call-registry.js';
import { dnsRebindingRefusal } from './host-guard.js';
import type { ResolvedOptions } from './options.js';
import { unauthorizedResponse } from './resource-metadata.js';
import { serverFactory, type RequestScope } from './server-factory.js';

function headerOf(request: GatewayRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The endpoint behind the plugin's routes: the SDK's web-standard handler, with what the SDK leaves
 * to its host in front of it, in this order: DNS-rebinding checks (headers only), the bearer token
 * (the same as `/tools/call`; a 401 names the metadata document), then the body, read within the
 * gateway's limit (413 past it) and held to its JSON rules (depth, prototype keys) and a bound on
 * batches. The SDK then answers everything of the protocol itself: malformed
 * JSON-RPC, unknown methods, content type, `Accept`, and both protocol eras, statelessly.
 */
export class McpEndpoint {
  readonly #options: ResolvedOptions;
  readonly #registry = new CallRegistry();
  /** The route hands the caller to the SDK's factory through `authInfo`, the SDK's pass-through slot. */
  readonly #scopes = new WeakMap<AuthInfo, RequestScope>();
  #handler: McpHttpHandler | undefined;
  #services: GatewayServices | undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  start(services: GatewayServices): void {
    this.#services = services;
    this.#handler = createMcpHandler(serverFactory(services, this.#options, this.#registry, this.#scopes), {
      legacy: this.#options.legacyClients ? 'stateless' : 'reject',
      maxRequestBodySize: services.bodyLimitBytes,
      // Rejections of bad requests land here as well: the client got its answer, this is only a note.
      onerror: (error) => services.logger.info('mcp: a request was refused or failed', { error: error.message }),
    });
  }

  async serve(services: GatewayServices, request: GatewayRequest, signal: AbortSignal): Promise<GatewayResponse> {
    const refusal = dnsRebindingRefusal(this.#options, request);
    if (refusal !== undefined) return fromWebResponse(refusal);
    let caller: Caller;
    try {
      caller = await services.auth.authenticateHeader(headerOf(request, 'authorization'));
    } catch (error) {
      const challenge = unauthorizedResponse(error, this.#options, request);
      if (challenge !== undefined) return challenge;
      throw error;
    }
    const handler = this.#handler;
    if (handler === undefined || this.#services !== services) throw new Error('the MCP endpoint was not started by this gateway');
    const web = await toWebRequest({ ...request, signal }, { maxBytes: services.bodyLimitBytes });
    const body = await checkBody(web);
    if ('refused' in body) return fromWebResponse(body.refused);
    // Never the token itself: nothing behind the SDK needs it, and a copy is one more place to leak from.
    const authInfo: AuthInfo = { token: caller.tokenId ?? '', clientId: caller.id, scopes: [] };
    const scope: RequestScope = { caller };
    this.#scopes.set(authInfo, scope);
    const response = await handler.fetch(web, body.parsedBody === undefined ? { authInfo } : { authInfo, parsedBody: body.parsedBody });
    // A 2025-era client names itself only in `initialize`: remembered for its later requests.
    const client = scope.server?.getClientVersion();
    if (client !== undefined) this.#registry.rememberClient(caller, client);
    return fromWebResponse(response);
  }

  /** Held calls end (audited as abandoned) and settle before the gateway closes its audit log. */
  async close(): Promise<void> {
    await this.#registry.close();
    await this.#handler?.close();
  }
}
