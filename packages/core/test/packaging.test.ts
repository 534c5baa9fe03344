import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// These run the built packages (dist/), as a user who installed them would: `npm test` builds first.
const root = resolve(__dirname, '../../..');
const packages = ['core', 'sandbox', 'vault', 'adapter-express', 'adapter-fastify'];

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

const PROBE = `
  const gateway = new core.Gateway({ logger: core.silentLogger });
  const router = express.gatewayRouter(gateway);
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
  it.each(packages)('%s has an exports map with types/import/require, and the files it names', (name) => {
    const dir = resolve(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')) as {
      engines: { node: string };
      exports: { '.': { import: { types: string; default: string }; require: { types: string; default: string } } };
    };
    expect(manifest.engines.node).toBe('>=20');
    const entry = manifest.exports['.'];
    for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default]) {
      expect(existsSync(resolve(dir, file)), `${name}: ${file} (run npm run build)`).toBe(true);
    }
  });

  it('core and the Express adapter load with require() and keep one class per error', () => {
    const out = node(['-e', `const core = require('@agent-gateway/core'); const express = require('@agent-gateway/express');${PROBE}`]);
    expect(JSON.parse(out)).toEqual({ router: 'function', gatewayError: true, notFound: true, status: 404 });
  });

  it('core and the Express adapter load with import and keep one class per error', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import * as core from '@agent-gateway/core'; import * as express from '@agent-gateway/express';${PROBE}`,
    ]);
    expect(JSON.parse(out)).toEqual({ router: 'function', gatewayError: true, notFound: true, status: 404 });
  });
});
