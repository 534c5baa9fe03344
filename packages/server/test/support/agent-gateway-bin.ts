import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(__dirname, '../../../..');
const packageDir = resolve(root, 'packages/server');
const builtBin = join(packageDir, 'dist/cli.js');
/** What the build bundles: the command's sources and the example server's. */
const bundledSources = ['packages/server/src', 'examples/demo-tools/src', 'examples/express-server/src'].map((dir) => join(root, dir));

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/**
 * The command as its users run it: the package's bin on the built `dist/cli.js` when that is newer
 * than everything it bundles, else the source. Either runs under tsx with the repository's tsconfig paths, so the
 * packages it imports are their sources, as in every other test here, not builds that may be older.
 */
export const bin = ((): { readonly path: string; readonly label: string } => {
  const fresh = existsSync(builtBin) && statSync(builtBin).mtimeMs >= Math.max(...bundledSources.map(newestMtime));
  return fresh ? { path: join(packageDir, 'bin/agent-gateway.js'), label: 'bin/agent-gateway.js on the build' } : { path: join(packageDir, 'src/cli.ts'), label: 'source, dist/cli.js is missing or older' };
})();

const tsxLoader = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;

/** A clean environment: nothing of the test runner's (npm's INIT_CWD would move the server). */
function environment(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'), ...env };
}

function launch(args: readonly string[], options: { cwd: string; env: Record<string, string> }): ChildProcess {
  return spawn(process.execPath, ['--import', tsxLoader, bin.path, ...args], { cwd: options.cwd, env: environment(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end, with `input` on its standard input. */
export function runBin(args: readonly string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<Finished> {
  const child = launch(args, { cwd: options.cwd, env: options.env ?? {} });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  child.stdin?.end(options.input ?? '');
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

export interface Serving {
  readonly child: ChildProcess;
  /** The URL of the start line, once it is printed. */
  readonly url: Promise<string>;
  readonly exit: Promise<Finished>;
  stop(): Promise<Finished>;
}

/** Starts `agent-gateway serve ...` and follows its start line. */
export function startServe(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Serving {
  const child = launch(['serve', ...args], options);
  child.stdin?.end();
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const url = new Promise<string>((resolveUrl, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(stdout);
      if (found?.[1] !== undefined) resolveUrl(found[1]);
    });
    child.once('exit', () => reject(new Error(`agent-gateway serve exited before listening: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exit = new Promise<Finished>((done) => child.once('close', (status) => done({ status, stdout, stderr })));
  return {
    child,
    url,
    exit,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

/** A stack trace's frame lines: a command must say what went wrong, not where in its code. */
export const STACK_FRAME = /^\s+at .+[:(]/m;
