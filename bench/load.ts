// Starting benchmark servers in their own processes and loading them with autocannon in another.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const autocannonBin = resolve(root, 'node_modules/.bin/autocannon');

export type ServerKind = 'fastify' | 'express' | 'gateway-fastify' | 'gateway-express';
/** What is asked of a server: a tool call (`/echo` on a bare one) or its liveness route. */
export type Target = 'call' | 'health';

export interface RunningServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly token?: string;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Connection errors, timeouts and non-2xx answers together: a benchmark run must have none. */
  readonly failures: number;
  /**
   * CPU time of the server's main (JavaScript) thread per request, in microseconds (Linux only). Unlike
   * requests/s it hardly moves when other processes share the machine: it is what a request costs.
   */
  readonly cpuMicrosPerRequest?: number;
}

/** User + system CPU seconds of a process's main thread, from /proc (Linux); undefined elsewhere. */
async function mainThreadCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ')'; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // In clock ticks of USER_HZ, 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Runs `bench/servers.ts <kind>` against the built packages (`dist`), as a user's app would load them:
 * the root tsconfig's paths would point tsx at the TypeScript sources instead.
 */
export async function startServer(kind: ServerKind): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'bench/servers.ts'), kind], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'bench/tsconfig.dist.json') },
  });
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline !== -1) resolveLine(out.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { port: number; token?: string }) };
}

export async function stopServer(server: RunningServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  // SIGTERM first, so the server removes its audit folder; SIGKILL if it does not go.
  server.child.kill('SIGTERM');
  const killer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

/** Resident set size of a process, in MiB (Linux and macOS `ps`). */
export async function rssMiB(pid: number): Promise<number> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'rss=', '-p', String(pid)]);
  return Number(stdout.trim()) / 1024;
}

function autocannon(args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(autocannonBin, ['--json', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolveRun(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`autocannon exited ${code}`))));
  });
}

function targetArgs(kind: ServerKind, target: Target, server: RunningServer): string[] {
  const base = `http://127.0.0.1:${server.port}`;
  if (target === 'health') return [`${base}/health`];
  if (kind === 'fastify' || kind === 'express') {
    return ['-m', 'POST', '-H', 'content-type=application/json', '-b', '{"text":"hello"}', `${base}/echo`];
  }
  return [
    '-m', 'POST',
    '-H', 'content-type=application/json',
    '-H', `authorization=Bearer ${server.token ?? ''}`,
    '-b', '{"tool":"echo","args":{"text":"hello"}}',
    `${base}/tools/call`,
  ];
}

/** One autocannon run; `load` is its own flags (`-c 10 -d 5`, `-R 1000`, `-a 1000000`). */
export async function load(kind: ServerKind, target: Target, server: RunningServer, loadArgs: readonly string[]): Promise<LoadResult> {
  const result = await autocannon([...loadArgs, ...targetArgs(kind, target, server)]);
  const latency = result.latency as Record<string, number>;
  const requests = result.requests as Record<string, number>;
  return {
    requestsPerSecond: requests.average ?? 0,
    requests: requests.total ?? 0,
    p50: latency.p50 ?? 0,
    p99: latency.p99 ?? 0,
    max: latency.max ?? 0,
    failures: Number(result.errors ?? 0) + Number(result.timeouts ?? 0) + Number(result.non2xx ?? 0),
  };
}

/** A fresh server, a short warm-up (JIT, connection pools), then the measured run. */
export async function measure(kind: ServerKind, target: Target, loadArgs: readonly string[], connections: number): Promise<LoadResult> {
  const server = await startServer(kind);
  try {
    await load(kind, target, server, ['-c', String(connections), '-d', '1']);
    const pid = server.child.pid ?? 0;
    const before = await mainThreadCpuSeconds(pid);
    const result = await load(kind, target, server, loadArgs);
    const after = await mainThreadCpuSeconds(pid);
    if (before === undefined || after === undefined || result.requests === 0) return result;
    return { ...result, cpuMicrosPerRequest: ((after - before) * 1e6) / result.requests };
  } finally {
    await stopServer(server);
  }
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
