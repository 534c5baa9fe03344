import { fileURLToPath } from 'node:url';
import { ConfigError, NotFoundError, ServiceUnavailableError, type GatewayPlugin } from '@agent-gateway/core';
import { definePlugin, defineRoute, type BufferedResponse } from '@agent-gateway/core/http';
import { readConsoleAssets, type ConsoleAssets } from './assets.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Options of `consolePlugin`. */
export interface ConsolePluginOptions {
  /** Where the console is served, relative to where the gateway is mounted. Default `/console`. */
  readonly path?: string;
  /** The built console (its `index.html` and `assets/`). Default: the build shipped in this package. */
  readonly assetsDir?: string;
}

/** `src/` and `dist/` sit side by side, so the build is `../web/` from either (tests run the sources). */
const SHIPPED_ASSETS = fileURLToPath(new URL('../web/', import.meta.url));

function checkedPath(path: string): string {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) {
    throw new ConfigError([{ path: 'console.path', message: 'expected an absolute path of plain segments without a trailing slash, such as /console' }]);
  }
  return path;
}

function fileResponse(body: string, contentType: string, cacheControl: string): BufferedResponse {
  return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': cacheControl }, body };
}

/**
 * The approval console as a gateway plugin: its built page and files at `/console/`, and nothing
 * else. Every route is a static file anyone may fetch; everything the page shows or changes goes
 * through the gateway's own API with the signed-in user's token, audited like any other client.
 * Every response carries a strict Content-Security-Policy (no inline script, never framed).
 *
 * @example
 * const gateway = new Gateway({ plugins: [consolePlugin()] });   // the console at /console/
 */
export function consolePlugin(options: ConsolePluginOptions = {}): GatewayPlugin {
  const path = checkedPath(options.path ?? '/console');
  const assetsDir = options.assetsDir ?? SHIPPED_ASSETS;
  // From `/console/` the gateway's routes are one level up; from `/ops/console/` two.
  const apiBase = '../'.repeat(path.split('/').length - 1);
  const lastSegment = path.slice(path.lastIndexOf('/') + 1);
  let assets: ConsoleAssets | undefined;
  const built = (): ConsoleAssets => {
    if (assets === undefined) throw new ServiceUnavailableError('plugin_unavailable', 'the console is not built: run npm run build -w @agent-gateway/console');
    return assets;
  };
  const routes = [
    defineRoute({
      method: 'GET',
      path,
      summary: 'The approval console: redirects to its page',
      auth: 'none',
      produces: 'text/html',
      // Relative, so it stays right wherever the gateway is mounted.
      handle: () => ({ status: 308, headers: { ...SECURITY_HEADERS, 'cache-control': 'no-store', location: `${lastSegment}/` }, body: '' }),
    }),
    defineRoute({
      method: 'GET',
      path: `${path}/`,
      summary: 'The approval console page (static; it signs in through POST /admin/login)',
      auth: 'none',
      produces: 'text/html',
      handle: () => fileResponse(built().indexHtml, 'text/html; charset=utf-8', 'no-store'),
    }),
    defineRoute({
      method: 'GET',
      path: `${path}/assets/:file`,
      summary: "The approval console's scripts and styles (static, content-hashed names)",
      auth: 'none',
      produces: 'text/javascript',
      handle: ({ params }) => {
        const file = built().files.get(params.file ?? '');
        if (file === undefined) throw new NotFoundError('no such console file');
        // Names carry a hash of their content, so a cached copy can never be stale.
        return fileResponse(file.body, file.contentType, 'public, max-age=31536000, immutable');
      },
    }),
  ];
  return definePlugin({
    name: 'console',
    routes,
    onInit(services) {
      assets = readConsoleAssets(assetsDir, apiBase);
      if (assets === undefined) services.logger.warn('the console is not built; /console answers 503 until it is', { assetsDir, build: 'npm run build -w @agent-gateway/console' });
    },
  });
}
