/** How the MCP endpoint is served. Every field has a default; `mcpPlugin()` alone is a working endpoint. */
export interface McpPluginOptions {
  /** Where the endpoint is served (`POST`, `GET` and `DELETE`). Default `/mcp`. */
  readonly path?: string;
  /**
   * The endpoint's public URL, which is also its OAuth resource identifier (RFC 9728 `resource`, the
   * audience external tokens are issued for), e.g. `https://gateway.example.com/mcp`. Default: built
   * from the request's `Host` (which the DNS-rebinding check has already accepted). Set it behind a
   * proxy, where the gateway cannot see the scheme and host clients use.
   */
  readonly resourceUrl?: string;
  /**
   * Host names (no port) the endpoint answers to: a request naming another `Host` is refused with 403
   * before anything else, which stops DNS rebinding against a gateway bound to loopback. Default: the
   * loopback names (`localhost`, `127.0.0.1`, `[::1]`) and the host of `resourceUrl`. `false` turns the
   * check off: do that only where a proxy in front checks `Host` itself.
   */
  readonly allowedHosts?: readonly string[] | false;
  /**
   * Origin host names a browser may call from. A request without `Origin` (every non-browser client)
   * passes. Default: as `allowedHosts`. `false` turns the check off.
   */
  readonly allowedOrigins?: readonly string[] | false;
  /**
   * How long a call that needs approval is held open for the decision, in ms: 0..600000. Default
   * 60000. When it ends first, the client gets a tool error naming the approval, which still runs if
   * someone approves it later.
   */
  readonly approvalWaitMs?: number;
  /** While a call is held, a progress notification this often (ms, 100..60000) to clients that sent a progress token. Default 5000. */
  readonly progressIntervalMs?: number;
  /**
   * Serve 2025-era clients (the `initialize` handshake, protocol versions up to 2025-11-25) as well
   * as 2026-07-28 ones. Default true.
   */
  readonly legacyClients?: boolean;
}

export interface ResolvedOptions {
  readonly path: string;
  readonly resourceUrl: URL | undefined;
  readonly allowedHosts: readonly string[] | false;
  readonly allowedOrigins: readonly string[] | false;
  readonly approvalWaitMs: number;
  readonly progressIntervalMs: number;
  readonly legacyClients: boolean;
}

const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

function inRange(name: string, value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max) throw new RangeError(`mcpPlugin: ${name} must be ${min}..${max}, got ${String(value)}`);
  return value;
}

function names(option: readonly string[] | false | undefined, fallback: readonly string[]): readonly string[] | false {
  if (option === false) return false;
  if (option === undefined) return fallback;
  if (!Array.isArray(option) || option.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError('mcpPlugin: allowedHosts and allowedOrigins must be lists of host names, or false');
  }
  return Object.freeze(option.map((name) => name.toLowerCase()));
}

/** Checks the options once, at construction, so a typo fails the start instead of every request. */
export function resolveOptions(options: McpPluginOptions): ResolvedOptions {
  const path = options.path ?? '/mcp';
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(path) || path.includes('/:')) throw new TypeError(`mcpPlugin: path must be a plain absolute path, got ${JSON.stringify(path)}`);
  let resourceUrl: URL | undefined;
  if (options.resourceUrl !== undefined) {
    resourceUrl = URL.canParse(options.resourceUrl) ? new URL(options.resourceUrl) : undefined;
    if (resourceUrl === undefined || (resourceUrl.protocol !== 'https:' && resourceUrl.protocol !== 'http:') || resourceUrl.hash !== '') {
      throw new TypeError(`mcpPlugin: resourceUrl must be an absolute http(s) URL without a fragment, got ${JSON.stringify(options.resourceUrl)}`);
    }
  }
  const defaults = resourceUrl === undefined ? LOOPBACK_NAMES : [...LOOPBACK_NAMES, resourceUrl.hostname.toLowerCase()];
  return {
    path,
    resourceUrl,
    allowedHosts: names(options.allowedHosts, defaults),
    allowedOrigins: names(options.allowedOrigins, defaults),
    approvalWaitMs: inRange('approvalWaitMs', options.approvalWaitMs, 0, 600_000, 60_000),
    progressIntervalMs: inRange('progressIntervalMs', options.progressIntervalMs, 100, 60_000, 5_000),
    legacyClients: options.legacyClients ?? true,
  };
}
