import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { UpstreamConfig } from './upstream-options.js';

/**
 * The upstreams of an `MCP_UPSTREAMS_FILE`: `{ "upstreams": [ ... ] }` (or the array alone), each
 * entry as `mcpUpstreams` takes it. A stdio upstream runs in the file's folder unless it names a
 * `cwd` (relative `cwd`s are read from there too), so relative paths in its args mean what they
 * say next to the file. The entries are checked by `mcpUpstreams`; this throws for a file that
 * cannot be read or is not JSON of that shape.
 */
export function loadUpstreamsFile(path: string): UpstreamConfig[] {
  const absolute = resolve(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(absolute, 'utf8'));
  } catch (error) {
    throw new TypeError(`MCP_UPSTREAMS_FILE ${JSON.stringify(path)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { upstreams?: unknown } | null)?.upstreams;
  if (!Array.isArray(list)) throw new TypeError(`MCP_UPSTREAMS_FILE ${JSON.stringify(path)}: expected {"upstreams": [...]} or an array of upstreams`);
  const folder = dirname(absolute);
  return list.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return entry as UpstreamConfig;
    const config = entry as UpstreamConfig;
    const transport = config.transport as UpstreamConfig['transport'] | undefined;
    if (transport?.kind !== 'stdio') return config;
    return { ...config, transport: { ...transport, cwd: resolve(folder, transport.cwd ?? '.') } };
  });
}
