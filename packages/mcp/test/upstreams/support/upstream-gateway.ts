import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Gateway, GatewayPlugin } from '@agent-gateway/core';
import { createConformanceGateway, getJson, listenOnLoopback, login, postJson, USERS, type ConformanceGateway, type RawResponse } from '@agent-gateway/conformance';
import { mcpUpstreams, type UpstreamConfig } from '../../../src/index.js';

const require = createRequire(import.meta.url);

/** The real servers under test, run with this Node: nobody here wrote them. */
export const FILESYSTEM_SERVER = require.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
export const EVERYTHING_SERVER = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
/** A small misbehaving server for the failure cases the real ones cannot be made to show. */
export const FAULTY_SERVER = fileURLToPath(new URL('./faulty-server.mjs', import.meta.url));

export function stdio(script: string, args: readonly string[] = [], env: Record<string, string> = {}): UpstreamConfig['transport'] {
  return { kind: 'stdio', command: process.execPath, args: [script, ...args], env };
}

export interface UpstreamGateway {
  readonly conformance: ConformanceGateway;
  readonly gateway: Gateway;
  readonly baseUrl: string;
  readonly tokens: { readonly agent: string; readonly admin: string; readonly approver: string };
  call(tool: string, args: unknown, token?: string): Promise<RawResponse>;
  get(path: string, token?: string): Promise<RawResponse>;
  close(): Promise<void>;
}

/** The conformance gateway (users, audit log) with these upstreams, served by core's own listener on loopback. */
export async function startUpstreamGateway(upstreams: readonly UpstreamConfig[], plugins: readonly GatewayPlugin[] = []): Promise<UpstreamGateway> {
  const conformance = await createConformanceGateway(undefined, { plugins: [mcpUpstreams({ upstreams }), ...plugins] });
  const server = await listenOnLoopback(conformance.gateway.nodeListener());
  const [agent, admin, approver] = await Promise.all([USERS.agent, USERS.admin, USERS.approver].map(async (user) => (await login(server.baseUrl, user)).token));
  if (agent === undefined || admin === undefined || approver === undefined) throw new Error('login failed');
  let closed = false;
  return {
    conformance,
    gateway: conformance.gateway,
    baseUrl: server.baseUrl,
    tokens: { agent, admin, approver },
    call: (tool, args, token = agent) => postJson(`${server.baseUrl}/tools/call`, { tool, args }, token),
    get: (path, token) => getJson(`${server.baseUrl}${path}`, token),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await conformance.dispose();
    },
  };
}

/** The pids of every process whose command line mentions `marker`: what the process table says is left. */
export function processesMentioning(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo'))
    .map((line) => Number.parseInt(line.trim(), 10))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid);
}

/**
 * SIGKILLs an upstream's process. Refuses what is not one process's id: `process.kill(0, …)` (from
 * `pid ?? 0` when no pid was reported) would kill the test runner's whole process group instead.
 */
export function killUpstreamProcess(pid: number | undefined): void {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) throw new Error(`no upstream process to kill (pid ${pid})`);
  process.kill(pid, 'SIGKILL');
}

/** Polls `check` until it holds (a condition, not a time: the timeout only bounds a hang). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
