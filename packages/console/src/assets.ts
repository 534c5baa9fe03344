import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/** One built file of the console, read once and served from memory. */
export interface ConsoleAsset {
  readonly body: string;
  readonly contentType: string;
}

/** The built console: its page and the files under `assets/`, by name. */
export interface ConsoleAssets {
  readonly indexHtml: string;
  readonly files: ReadonlyMap<string, ConsoleAsset>;
}

// Text only: the build inlines nothing and ships no fonts or raster images (see vite.config.ts).
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Where the page learns how far up the gateway's routes are: `../` for `/console`, `../../` for `/ops/console`. */
export const API_BASE_PLACEHOLDER = '__AGENT_GATEWAY_API_BASE__';

/**
 * Reads the console's build (`npm run build -w @agent-gateway/console`), or returns undefined when
 * there is none, so that a gateway started from a fresh clone still serves everything else.
 */
export function readConsoleAssets(dir: string, apiBase: string): ConsoleAssets | undefined {
  let indexHtml: string;
  try {
    indexHtml = readFileSync(join(dir, 'index.html'), 'utf8');
  } catch {
    return undefined;
  }
  const files = new Map<string, ConsoleAsset>();
  const assetsDir = join(dir, 'assets');
  const names = statSync(assetsDir, { throwIfNoEntry: false })?.isDirectory() === true ? readdirSync(assetsDir) : [];
  for (const name of names) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) files.set(name, { body: readFileSync(join(assetsDir, name), 'utf8'), contentType });
  }
  return { indexHtml: indexHtml.split(API_BASE_PLACEHOLDER).join(apiBase), files };
}
