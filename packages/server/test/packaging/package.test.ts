import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../../..');
const dir = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};

function manifests(): Array<{ path: string; name: string; private?: boolean; bin?: string | Record<string, string> }> {
  return ['packages', 'examples'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name, 'package.json'))
      .filter((path) => existsSync(path))
      .map((path) => ({ path, ...(JSON.parse(readFileSync(path, 'utf8')) as { name: string; private?: boolean; bin?: string | Record<string, string> }) })),
  );
}

describe('@agent-gateway/server as published', () => {
  it('is the only package with the agent-gateway command: npm links the first it meets, so a second would shadow it', () => {
    const claimants = manifests().filter((m) => typeof m.bin === 'object' && 'agent-gateway' in m.bin).map((m) => m.name);
    expect(claimants).toEqual(['@agent-gateway/server']);
    expect(manifest.bin['agent-gateway']).toBe('./bin/agent-gateway.js');
  });

  it('depends only on published packages: the private examples it runs are bundled in', () => {
    const privateNames = new Set(manifests().filter((m) => m.private === true).map((m) => m.name));
    expect(Object.keys(manifest.dependencies).filter((name) => privateNames.has(name))).toEqual([]);
    expect(Object.keys(manifest.devDependencies).sort()).toEqual(['@agent-gateway-examples/demo-tools', '@agent-gateway-examples/express-server']);
    const tsup = readFileSync(join(dir, 'tsup.config.ts'), 'utf8');
    for (const name of Object.keys(manifest.devDependencies)) expect(tsup, name).toContain(`'${name}'`);
    expect(manifest.files).toEqual(expect.arrayContaining(['bin', 'dist', 'README.md']));
  });

  it('the command is a file that exists before the build, so npm links it in a fresh clone, and it names the missing build', () => {
    const command = join(dir, manifest.bin['agent-gateway'] ?? '');
    expect(readFileSync(command, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(() => accessSync(command, constants.X_OK)).not.toThrow();
    expect(readFileSync(command, 'utf8')).toContain("new URL('../dist/cli.js', import.meta.url)");
  });

  const built = join(dir, 'dist/cli.js');
  if (!existsSync(built)) console.warn(`skipped: the built command's checks (${built} is not built; npm run build -w @agent-gateway/server)`);
  it.skipIf(!existsSync(built))('the build is one ES module entry with a node shebang that imports no private package', () => {
    expect(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const chunks = readdirSync(join(dir, 'dist')).filter((name) => name.endsWith('.js'));
    for (const chunk of chunks) expect(readFileSync(join(dir, 'dist', chunk), 'utf8'), chunk).not.toMatch(/from ["']@agent-gateway-examples\//);
  });
});
