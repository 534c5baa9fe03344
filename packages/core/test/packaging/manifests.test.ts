import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './host-project.js';

// What every published package promises in its package.json, and the release flow that keeps them
// one family: these read files only (no build needed), except the release plan, which runs Changesets.

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  engines?: { node?: string };
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

// semver is npm's own range logic; it comes with the dev tools (Changesets, among others) and has no types here.
const semver = createRequire(join(repoRoot, 'package.json'))('semver') as { satisfies(version: string, range: string): boolean };

const read = <T>(path: string): T => JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as T;
const workspaces = (parent: string): string[] =>
  readdirSync(join(repoRoot, parent))
    .map((name) => `${parent}/${name}`)
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')));
const published = workspaces('packages').filter((dir) => read<Manifest>(`${dir}/package.json`).private !== true);
/** The libraries a host installs together, one Changesets group; core's peers among them. */
const LIBRARIES = ['core', 'sandbox', 'vault', 'redis', 'mcp', 'express', 'fastify'].map((name) => `@agent-gateway/${name}`);
const TAKE_CORE_AS_PEER = ['express', 'fastify', 'mcp', 'redis', 'vault'].map((name) => `@agent-gateway/${name}`);
const NODE = '>=20.19.0';

describe('published package manifests', () => {
  it('finds the packages', () => {
    expect(published.map((dir) => read<Manifest>(`${dir}/package.json`).name)).toEqual(expect.arrayContaining(LIBRARIES));
  });

  it.each(published)('%s: MIT LICENSE shipped, repository/homepage/bugs, Node 20.19+', (dir) => {
    const manifest = read<Manifest>(`${dir}/package.json`);
    expect(manifest.license).toBe('MIT');
    // npm packs the package's own folder: the root LICENSE has to be copied in, word for word.
    expect(readFileSync(join(repoRoot, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'));
    expect(manifest.files).toContain('LICENSE');
    expect(manifest.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/.+\.git$/), directory: dir });
    expect(manifest.homepage).toMatch(new RegExp(`^https://.+/tree/main/${dir}#readme$`));
    expect(manifest.bugs?.url).toMatch(/^https:\/\/.+\/issues$/);
    expect(manifest.engines?.node).toBe(NODE);
  });

  it('the root asks for the same Node, names the license, and has the pack and release scripts', () => {
    const root = read<Manifest>('package.json');
    expect(root.engines?.node).toBe(NODE);
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(root.scripts?.pack).toBe('node scripts/pack.mjs');
    expect(root.scripts?.release).toMatch(/changeset publish/);
  });

  it('adapters and plugins take core as a peer, never a copy of their own; every range on a sibling admits its version', () => {
    const versions = new Map(published.map((dir) => [read<Manifest>(`${dir}/package.json`).name, read<Manifest>(`${dir}/package.json`).version]));
    for (const dir of published) {
      const manifest = read<Manifest>(`${dir}/package.json`);
      if (TAKE_CORE_AS_PEER.includes(manifest.name)) {
        expect(manifest.dependencies?.['@agent-gateway/core'], `${manifest.name} dependencies`).toBeUndefined();
        expect(manifest.peerDependencies?.['@agent-gateway/core'], `${manifest.name} peerDependencies`).toBe('^0.x');
      }
      for (const ranges of [manifest.dependencies, manifest.peerDependencies]) {
        for (const [name, range] of Object.entries(ranges ?? {})) {
          const version = versions.get(name);
          if (version !== undefined) expect(semver.satisfies(version, range), `${manifest.name} wants ${name}@${range}, the repo has ${version}`).toBe(true);
        }
      }
    }
  });

  it('every package npm ci installs runs on Node 20.19 (no EBADENGINE on Node 20)', () => {
    const lock = read<{ packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> }>('package-lock.json');
    const refusing = Object.entries(lock.packages)
      .filter(([, entry]) => typeof entry.engines === 'object' && !Array.isArray(entry.engines) && entry.engines.node !== undefined)
      .filter(([, entry]) => !semver.satisfies('20.19.0', (entry.engines as { node: string }).node))
      .map(([path, entry]) => `${path}@${entry.version ?? ''} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('the README says how to install before a release, which Node, and that the quick start uses jq', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toMatch(/Node\.js 20\.19/);
    expect(readme).toMatch(/npm run pack/);
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('jq -r'));
    expect(quickStart, 'jq is named before the quick start first uses it').toMatch(/`jq`/);
  });
});

describe('the release flow (Changesets)', () => {
  it('versions the packages as one: the pending changesets give every one the same next version, below 1.0, inside every range on it', () => {
    const names = published.map((dir) => read<Manifest>(`${dir}/package.json`).name);
    const config = read<{ fixed: string[][] }>('.changeset/config.json');
    expect(config.fixed.map((group) => [...group].sort())).toEqual([[...names].sort()]);
    // A copy of the manifests and changesets in a scratch repository: `changeset version` rewrites them.
    const scratch = mkdtempSync(join(tmpdir(), 'agent-gateway-release-'));
    try {
      const dirs = [...workspaces('packages'), ...workspaces('examples')];
      for (const file of ['package.json', ...dirs.map((dir) => `${dir}/package.json`)]) {
        mkdirSync(join(scratch, file, '..'), { recursive: true });
        writeFileSync(join(scratch, file), readFileSync(join(repoRoot, file)));
      }
      cpSync(join(repoRoot, '.changeset'), join(scratch, '.changeset'), { recursive: true });
      const git = (...args: string[]): string => execFileSync('git', args, { cwd: scratch, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('-c', 'user.name=release-test', '-c', 'user.email=release-test@localhost', 'commit', '-q', '-m', 'manifests');
      execFileSync(process.execPath, [join(repoRoot, 'node_modules/@changesets/cli/bin.js'), 'version'], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
      const after = new Map(dirs.map((dir) => JSON.parse(readFileSync(join(scratch, dir, 'package.json'), 'utf8')) as Manifest).map((manifest) => [manifest.name, manifest]));
      const next = new Set(names.map((name) => after.get(name)?.version));
      expect(next.size, `one version for all: ${[...next].join(', ')}`).toBe(1);
      const [version] = [...next];
      expect(semver.satisfies(version ?? '', '<1.0.0'), `next version ${version}`).toBe(true);
      for (const manifest of after.values()) {
        for (const ranges of [manifest.dependencies, manifest.peerDependencies]) {
          for (const [name, range] of Object.entries(ranges ?? {})) {
            const sibling = after.get(name)?.version;
            if (sibling !== undefined && names.includes(name)) expect(semver.satisfies(sibling, range), `${manifest.name} wants ${name}@${range}, released at ${sibling}`).toBe(true);
          }
        }
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
