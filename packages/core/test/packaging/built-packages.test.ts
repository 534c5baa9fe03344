import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// These run the built packages (dist/), as a user who installed them would: `npm test` builds first.
const root = resolve(__dirname, '../../../..');
const packages = ['core', 'sandbox', 'vault', 'adapter-express', 'adapter-fastify', 'mcp', 'redis'];

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

const PROBE = `
  const gateway = new core.Gateway({ logger: core.silentLogger });
  const router = express.gatewayRouter(gateway);
  if (typeof fastify.gatewayPlugin !== 'function' || typeof vault.VaultSecretStore !== 'function') throw new Error('adapters missing');
  gateway.callTool({ tool: 'missing', args: {} }).catch((error) => {
    console.log(JSON.stringify({
      router: typeof router,
      gatewayError: error instanceof core.GatewayError,
      notFound: error instanceof core.ToolNotFoundError,
      status: error.status,
    }));
  });
`;

describe('built packages', () => {
  it.each(packages)('%s has an exports map of one ES build with its types, and the files it names', (name) => {
    const dir = resolve(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as {
      engines: { node: string };
      exports: Record<string, { types: string; default: string } | string>;
    };
    // 20.19 is the first Node 20 whose require() loads ES modules: a CommonJS host requires this same build.
    expect(manifest.engines.node).toBe('>=20.19.0');
    const entries = Object.entries(manifest.exports).filter(([key]) => key !== './package.json');
    for (const [key, entry] of entries) {
      expect(entry, `${name}: exports["${key}"]`).toEqual({ types: expect.stringMatching(/\.d\.ts$/), default: expect.stringMatching(/\.js$/) });
      if (typeof entry === 'string') continue;
      for (const file of [entry.types, entry.default]) expect(existsSync(resolve(dir, file)), `${name}: ${file} (run npm run build)`).toBe(true);
    }
    // No second (CommonJS) copy is built, and the source maps do not carry the sources.
    const built = readdirSync(resolve(dir, 'dist'));
    expect(built.filter((file) => /\.(cjs|d\.cts)$/.test(file))).toEqual([]);
    for (const map of built.filter((file) => file.endsWith('.map'))) {
      expect(JSON.parse(readFileSync(resolve(dir, 'dist', map), 'utf8')), `${name}: ${map}`).not.toHaveProperty('sourcesContent');
    }
  });

  it('every package loads with require() and core keeps one class per error', () => {
    const out = node([
      '-e',
      `const core = require('@agent-gateway/core'); const express = require('@agent-gateway/express'); const fastify = require('@agent-gateway/fastify'); const vault = require('@agent-gateway/vault');${PROBE}`,
    ]);
    expect(JSON.parse(out)).toEqual({ router: 'function', gatewayError: true, notFound: true, status: 404 });
  });

  it('core/http, the subpath for route, plugin and adapter authors, loads both ways and shares core\'s classes', () => {
    const probe = (load: string): unknown =>
      JSON.parse(node(['--input-type=module', '-e', `${load} console.log(JSON.stringify({ defineRoute: typeof http.defineRoute, toWebRequest: typeof http.toWebRequest, oneClass: new http.HeadersTooLargeError() instanceof core.GatewayError && http.HeadersTooLargeError === core.HeadersTooLargeError }));`]));
    const expected = { defineRoute: 'function', toWebRequest: 'function', oneClass: true };
    expect(probe(`import * as http from '@agent-gateway/core/http'; import * as core from '@agent-gateway/core';`)).toEqual(expected);
    expect(probe(`import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/package.json'); const http = require('@agent-gateway/core/http'); const core = require('@agent-gateway/core');`)).toEqual(expected);
  });

  it('the MCP plugin loads both ways and plugs into the gateway of either build', () => {
    const probe = (load: string): unknown =>
      JSON.parse(node(['--input-type=module', '-e', `${load} const plugin = mcp.mcpPlugin(); new core.Gateway({ logger: core.silentLogger, plugins: [plugin] }); console.log(JSON.stringify({ name: plugin.name, routes: plugin.routes.map((r) => r.method + ' ' + r.path) }));`]));
    const expected = {
      name: 'mcp',
      routes: ['POST /mcp', 'GET /mcp', 'DELETE /mcp', 'GET /.well-known/oauth-protected-resource', 'GET /.well-known/oauth-protected-resource/mcp'],
    };
    expect(probe(`import * as mcp from '@agent-gateway/mcp'; import * as core from '@agent-gateway/core';`)).toEqual(expected);
    expect(probe(`import { createRequire } from 'node:module'; const require = createRequire(process.cwd() + '/package.json'); const mcp = require('@agent-gateway/mcp'); const core = require('@agent-gateway/core');`)).toEqual(expected);
  });

  it('every package loads with import and core keeps one class per error', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as core from '@agent-gateway/core'; import * as express from '@agent-gateway/express'; import * as fastify from '@agent-gateway/fastify'; import * as vault from '@agent-gateway/vault';${PROBE}`,
    ]);
    expect(JSON.parse(out)).toEqual({ router: 'function', gatewayError: true, notFound: true, status: 404 });
  });

  it('require() and import give one copy of core; an error from a second copy (a second install) is still a GatewayError', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
       import { dirname, join } from 'node:path';
       import { pathToFileURL } from 'node:url';
       import * as esm from '@agent-gateway/core';
       const require = createRequire(process.cwd() + '/package.json');
       const required = require('@agent-gateway/core');
       // A copy of the build in another folder is another module: what a second install of the package gives.
       const second = mkdtempSync(join(process.cwd(), '.tmp-second-core-'));
       cpSync(dirname(require.resolve('@agent-gateway/core')), second, { recursive: true });
       writeFileSync(join(second, 'package.json'), '{"type":"module"}');
       const other = await import(pathToFileURL(join(second, 'index.js')).href).finally(() => rmSync(second, { recursive: true, force: true }));
       const fromOther = new other.ConflictError('taken');
       const fromEsm = new esm.ToolError('full', { code: 'scratch_full', status: 507 });
       console.log(JSON.stringify({
         oneCopy: required.GatewayError === esm.GatewayError && required.ToolError === esm.ToolError,
         secondCopy: other.GatewayError !== esm.GatewayError,
         esmSeesOther: [esm.isGatewayError(fromOther), fromOther instanceof esm.GatewayError, esm.failureOf(fromOther).status],
         otherSeesEsm: [other.isGatewayError(fromEsm), fromEsm instanceof other.GatewayError, other.failureOf(fromEsm).code],
       }));`,
    ]);
    expect(JSON.parse(out)).toEqual({ oneCopy: true, secondCopy: true, esmSeesOther: [true, true, 409], otherSeesEsm: [true, true, 'scratch_full'] });
  });
});
