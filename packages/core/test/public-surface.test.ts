import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as http from '../src/http/public.js';
import * as core from '../src/index.js';

const root = resolve(__dirname, '../../..');

/** Parts of core that are how it works, not what it offers: never on the public surface. */
const INTERNALS = [
  'RouteTable', 'gatewayRoutes', 'handleRequest', 'createRequestHandler', 'PluginSet', 'callTool', 'runApproved',
  'writeFileAtomic', 'readFileIfExists', 'SerialQueue', 'JsonFileState', 'readLastLines', 'recordAuthEvents',
  'recordApprovalChanges', 'approvalEventStream', 'sendApprovalWebhooks', 'JwtCodec', 'PasswordHasher', 'LoginThrottle',
  'HashSlots', 'openApiDocument', 'viewOf', 'summaryOf', 'digestOf', 'auditActorOf', 'sandboxFailure',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every package but core itself (and the sandbox, which core depends on), and every example. */
function consumerSources(): string[] {
  const packages = readdirSync(join(root, 'packages'))
    .filter((name) => name !== 'core' && name !== 'sandbox')
    .flatMap((name) => ['src', 'test'].map((part) => join(root, 'packages', name, part)));
  const examples = readdirSync(join(root, 'examples')).flatMap((name) => ['src', 'test', 'test-support'].map((part) => join(root, 'examples', name, part)));
  return [...packages, ...examples].filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true).flatMap(sourceFiles);
}

describe('the public surface of @agent-gateway/core', () => {
  it('names every export: no `export *` in the entry points', () => {
    for (const entry of ['src/index.ts', 'src/http/public.ts']) {
      expect(readFileSync(resolve(__dirname, '..', entry), 'utf8'), entry).not.toMatch(/export \*/);
    }
  });

  it('keeps internals off both entry points', () => {
    const exported = new Set([...Object.keys(core), ...Object.keys(http)]);
    expect(INTERNALS.filter((name) => exported.has(name))).toEqual([]);
  });

  it('gives route, plugin and adapter authors what they need from /http', () => {
    for (const name of ['defineRoute', 'definePlugin', 'toWebRequest', 'fromWebResponse', 'jsonResponse', 'readJsonBody', 'fromNodeRequest', 'sendNodeResponse']) {
      expect(typeof (http as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('other packages and the examples import core only through its two entry points', () => {
    const offenders: string[] = [];
    for (const file of consumerSources()) {
      const text = readFileSync(file, 'utf8');
      for (const [, specifier = ''] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const deepImport = specifier.startsWith('@agent-gateway/core/') && specifier !== '@agent-gateway/core/http';
        const intoCoreSources = specifier.startsWith('.') && resolve(file, '..', specifier).startsWith(resolve(root, 'packages/core/'));
        if (deepImport || intoCoreSources) offenders.push(`${relative(root, file)}: ${specifier}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
