import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostProject, type HostProject, run, tsc } from './host-project.js';

// A host app of the built packages (npm test builds first), installed from their tarballs in a
// folder outside the repository: what a user gets before a release (npm run pack), and after one.
// The deadlines are generous, not timings: tsc reads every declaration, tens of seconds on a busy machine.

/** Each public entry, imported whole, so the compiler reads (and, with skipLibCheck off, checks) all of its declarations. */
const ENTRIES = {
  core: '@agent-gateway/core',
  http: '@agent-gateway/core/http',
  sandbox: '@agent-gateway/sandbox',
  vault: '@agent-gateway/vault',
  redis: '@agent-gateway/redis',
  mcp: '@agent-gateway/mcp',
  express: '@agent-gateway/express',
  fastify: '@agent-gateway/fastify',
} as const;

/** A strict host: every check on, declarations of every package checked (skipLibCheck: false). */
const STRICT = {
  strict: true,
  skipLibCheck: false,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  target: 'es2022',
  lib: ['es2023'],
  types: ['node'],
  noEmit: true,
};

/** The installed files a program's compilation reads. */
function filesRead(host: HostProject, config: string): string[] {
  return tsc(host, ['-p', config, '--listFilesOnly']).split('\n').filter((line) => line.includes('/node_modules/'));
}

let host: HostProject;

beforeAll(() => {
  host = createHostProject();
  for (const [name, specifier] of Object.entries(ENTRIES)) {
    host.write(`src/${name}.ts`, `import * as entry from '${specifier}';\nexport const ${name}: object = entry;\n`);
  }
  const tsconfig = (include: readonly string[], options: Record<string, unknown>): string =>
    `${JSON.stringify({ compilerOptions: { ...STRICT, ...options }, include }, null, 2)}\n`;
  const esm = Object.keys(ENTRIES).map((name) => `src/${name}.ts`);
  // A CommonJS file (.cts) of the same host: node20/nodenext let it require() the ES build...
  host.write('src/commonjs.cts', `import { Gateway, ToolError } from '@agent-gateway/core';\nimport { gatewayRouter } from '@agent-gateway/express';\nexport const values: readonly unknown[] = [Gateway, ToolError, gatewayRouter];\n`);
  // ...and node16 (which models a Node that could not) still takes its types, named as ESM's.
  host.write(
    'src/commonjs-types.cts',
    `import type { Gateway, ToolDefinition } from '@agent-gateway/core' with { 'resolution-mode': 'import' };\nexport type Types = [Gateway, ToolDefinition];\n`,
  );
  host.write('tsconfig.nodenext.json', tsconfig([...esm, 'src/commonjs.cts'], { module: 'nodenext', moduleResolution: 'nodenext' }));
  // An ES file resolves alike under node16 and nodenext: node16 is here for the CommonJS file only.
  host.write('tsconfig.node16.json', tsconfig(['src/commonjs-types.cts'], { module: 'node16', moduleResolution: 'node16' }));
  host.write('tsconfig.bundler.json', tsconfig(esm, { module: 'esnext', moduleResolution: 'bundler' }));
  host.write('tsconfig.core-only.json', tsconfig(['src/core.ts', 'src/http.ts'], { module: 'nodenext', moduleResolution: 'nodenext' }));
  host.write('tsconfig.express-only.json', tsconfig(['src/core.ts', 'src/express.ts'], { module: 'nodenext', moduleResolution: 'nodenext' }));
  host.write('tsconfig.fastify-only.json', tsconfig(['src/core.ts', 'src/fastify.ts'], { module: 'nodenext', moduleResolution: 'nodenext' }));
}, 300_000);

afterAll(() => host?.remove());

describe('a strict TypeScript host (skipLibCheck: false) with no optional peer installed', () => {
  it.each(['nodenext', 'node16', 'bundler'])('compiles the public entries under moduleResolution %s', (resolution) => {
    expect(tsc(host, ['-p', `tsconfig.${resolution}.json`])).toBe('');
  }, 300_000);

  it('has no optional peer to find: npm left dockerode out', () => {
    expect(() => run(process.execPath, ['-e', "require.resolve('dockerode')"], host.dir)).toThrow(/Cannot find module 'dockerode'/);
  });

  it("reads no declaration of an optional peer, nor of another package's framework, for core alone or for one adapter", () => {
    const optional = /\/node_modules\/(dockerode|@types\/dockerode|node-vault|ioredis|@modelcontextprotocol)\//;
    const express = /\/node_modules\/(express|@types\/express|@types\/express-serve-static-core)\//;
    const fastify = /\/node_modules\/(fastify|fastify-plugin)\//;
    const core = filesRead(host, 'tsconfig.core-only.json');
    expect(core.filter((file) => optional.test(file) || express.test(file) || fastify.test(file))).toEqual([]);
    expect(core.some((file) => file.includes('/node_modules/@agent-gateway/core/'))).toBe(true);
    expect(filesRead(host, 'tsconfig.express-only.json').filter((file) => optional.test(file) || fastify.test(file))).toEqual([]);
    expect(filesRead(host, 'tsconfig.fastify-only.json').filter((file) => optional.test(file) || express.test(file))).toEqual([]);
  }, 300_000);
});

describe('one process that both requires and imports the packages', () => {
  it("gets one copy: a ToolError made by either side keeps its own code and status in the other side's gateway", () => {
    host.write(
      'mixed/tools.cjs',
      `const core = require('@agent-gateway/core');
const { z } = require('zod');
// A tool module written as CommonJS, as many hosts' are.
exports.core = core;
exports.findRecord = {
  name: 'records.find',
  description: 'Finds a record',
  args: z.object({ id: z.string() }),
  run: ({ id }) => { throw new core.ToolError('no record ' + id, { code: 'record_not_found', status: 404 }); },
};
exports.gateway = () => new core.Gateway({ logger: core.silentLogger });
`,
    );
    host.write(
      'mixed/main.mjs',
      `import { createRequire } from 'node:module';
import { z } from 'zod';
import * as core from '@agent-gateway/core';
import * as http from '@agent-gateway/core/http';
const required = createRequire(import.meta.url)('./tools.cjs');
const httpRequired = createRequire(import.meta.url)('@agent-gateway/core/http');
const outcome = (promise) => promise.then(
  () => 'resolved',
  (error) => ({ code: error.code, status: error.status, toolError: error instanceof core.ToolError && error instanceof required.core.ToolError }),
);
// The CommonJS tool in a gateway of the imported copy.
const esmGateway = new core.Gateway({ logger: core.silentLogger });
esmGateway.registerTool(required.findRecord);
// An imported tool in a gateway of the required copy.
const cjsGateway = required.gateway();
cjsGateway.registerTool({
  name: 'orders.find', description: 'Finds an order', args: z.object({ id: z.string() }),
  run: ({ id }) => { throw new core.ToolError('no order ' + id, { code: 'order_not_found', status: 404 }); },
});
console.log(JSON.stringify({
  oneCopy: required.core === core || required.core.Gateway === core.Gateway,
  oneHttpCopy: httpRequired.defineRoute === http.defineRoute,
  cjsToolInEsmGateway: await outcome(esmGateway.callTool({ tool: 'records.find', args: { id: '7' } })),
  esmToolInCjsGateway: await outcome(cjsGateway.callTool({ tool: 'orders.find', args: { id: '8' } })),
}));
await Promise.all([esmGateway.close(), cjsGateway.close()]);
`,
    );
    const out = run(process.execPath, ['mixed/main.mjs'], host.dir);
    expect(JSON.parse(out)).toEqual({
      oneCopy: true,
      oneHttpCopy: true,
      cjsToolInEsmGateway: { code: 'record_not_found', status: 404, toolError: true },
      esmToolInCjsGateway: { code: 'order_not_found', status: 404, toolError: true },
    });
  }, 60_000);
});
