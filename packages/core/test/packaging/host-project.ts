import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * A throwaway host app outside the repository, with the packages installed from the tarballs `npm run
 * pack` makes, as a user installs them before a release: nothing of the monorepo's node_modules is
 * reachable from it (a symlink into the repo would resolve dockerode and the rest from there).
 */

export const repoRoot = resolve(__dirname, '../../../..');

/** The library packages a host installs; the server package is an app, not a dependency. */
export const LIBRARIES = ['core', 'sandbox', 'vault', 'redis', 'mcp', 'express', 'fastify'] as const;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command; on failure the error carries what it printed, so a failed check says why. */
export function run(command: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${basename(command)} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** The version the repository has installed, so npm finds it in its cache. */
function installed(name: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface HostProject {
  readonly dir: string;
  write(path: string, text: string): void;
  remove(): void;
}

/**
 * Packs the built packages and installs them, with zod and the types a TypeScript host has
 * (`@types/node`, `@types/express` for the Express adapter), into a new folder. npm installs each
 * package's required peers (express, fastify) and none of the optional ones (dockerode).
 */
export function createHostProject(): HostProject {
  const dir = mkdtempSync(join(tmpdir(), 'agent-gateway-host-'));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    write('package.json', `${JSON.stringify({ name: 'host-app', private: true, type: 'module' }, null, 2)}\n`);
    const packed = run(process.execPath, [join(repoRoot, 'scripts/pack.mjs'), '--no-build', '--out', join(dir, 'packs')], repoRoot).trim().split('\n');
    const tarballs = LIBRARIES.map((name) => {
      const tarball = packed.find((path) => basename(path).startsWith(`agent-gateway-${name}-`));
      if (tarball === undefined) throw new Error(`npm run pack made no tarball for @agent-gateway/${name}: ${packed.join(', ')}`);
      return tarball;
    });
    const extras = ['zod', '@types/node', '@types/express'].map((name) => `${name}@${installed(name)}`);
    run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs, ...extras], dir);
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, write, remove };
}

/** `tsc` of the repository (5.9), run on a tsconfig of the host. */
export function tsc(host: HostProject, args: readonly string[]): string {
  return run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), ...args], host.dir);
}
