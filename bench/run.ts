// Gateway overhead per tool call against bare Express and Fastify, side by side.
//   npm run bench            (BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=10 to change)
// Each server runs in its own process and autocannon in another, alternating A B A B.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { machineLine, writeBenchmarkSection } from '../scripts/benchmarks-file.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FIXED_RATE = 1000;
const FIXED_DURATION = Number(process.env.BENCH_FIXED_DURATION ?? 20);
const root = resolve(import.meta.dirname, '..');
const autocannonBin = resolve(root, 'node_modules/.bin/autocannon');

type Kind = 'fastify' | 'express' | 'gateway-fastify' | 'gateway-express';

interface Run {
  kind: Kind;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

async function startServer(kind: Kind): Promise<{ child: ChildProcess; port: number; token?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, 'bench/servers.ts'), kind], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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

function autocannon(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(autocannonBin, ['--json', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => (code === 0 ? resolveRun(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`autocannon exited ${code}`))));
  });
}

function targetArgs(kind: Kind, port: number, token: string | undefined): string[] {
  if (kind === 'fastify' || kind === 'express') {
    return ['-m', 'POST', '-H', 'content-type=application/json', '-b', '{"text":"hello"}', `http://127.0.0.1:${port}/echo`];
  }
  return [
    '-m', 'POST',
    '-H', 'content-type=application/json',
    '-H', `authorization=Bearer ${token ?? ''}`,
    '-b', '{"tool":"echo","args":{"text":"hello"}}',
    `http://127.0.0.1:${port}/tools/call`,
  ];
}

async function measure(kind: Kind, round: number, extra: string[]): Promise<Run> {
  const server = await startServer(kind);
  try {
    // A short warm-up so the JIT and connection pools are settled before the measured run.
    await autocannon(['-c', String(CONNECTIONS), '-d', '1', ...targetArgs(kind, server.port, server.token)]);
    const result = await autocannon([...extra, ...targetArgs(kind, server.port, server.token)]);
    const latency = result.latency as Record<string, number>;
    const requests = result.requests as Record<string, number>;
    return {
      kind,
      round,
      requestsPerSecond: requests.average ?? 0,
      p50: latency.p50 ?? 0,
      p99: latency.p99 ?? 0,
      max: latency.max ?? 0,
      errors: Number(result.errors ?? 0),
      non2xx: Number(result.non2xx ?? 0),
    };
  } finally {
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const runs: Run[] = [];
const order: Kind[] = ['fastify', 'gateway-fastify', 'express', 'gateway-express'];
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const kind of order) {
    const run = await measure(kind, round, ['-c', String(CONNECTIONS), '-d', String(DURATION)]);
    runs.push(run);
    console.log(`round ${round} ${kind.padEnd(16)} ${Math.round(run.requestsPerSecond)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  errors ${run.errors + run.non2xx}`);
  }
}
// autocannon paces a fixed rate per tick, so with many connections requests arrive in bursts that
// queue even on a bare server; one paced connection shows the per-call latency itself. Both are reported.
interface FixedRun extends Run {
  connections: number;
}
const fixed: FixedRun[] = [];
for (const connections of [1, CONNECTIONS]) {
  for (const kind of ['fastify', 'gateway-fastify', 'gateway-express'] as const) {
    const run = await measure(kind, 0, ['-c', String(connections), '-d', String(FIXED_DURATION), '-R', String(FIXED_RATE)]);
    fixed.push({ ...run, connections });
    console.log(`fixed ${FIXED_RATE}/s, ${connections} conn, ${kind.padEnd(16)} p50 ${run.p50} ms  p99 ${run.p99} ms  max ${run.max} ms`);
  }
}

const summary = Object.fromEntries(
  order.map((kind) => {
    const mine = runs.filter((r) => r.kind === kind);
    return [kind, { rps: median(mine.map((r) => r.requestsPerSecond)), p50: median(mine.map((r) => r.p50)), p99: median(mine.map((r) => r.p99)), max: Math.max(...mine.map((r) => r.max)), failures: mine.reduce((n, r) => n + r.errors + r.non2xx, 0) }];
  }),
) as Record<Kind, { rps: number; p50: number; p99: number; max: number; failures: number }>;
const ratio = (gateway: Kind, bare: Kind): number => summary[gateway].rps / summary[bare].rps;
const fastifyRatio = ratio('gateway-fastify', 'fastify');
const expressRatio = ratio('gateway-express', 'express');
const fixedOf = (kind: Kind, connections: number) => fixed.find((r) => r.kind === kind && r.connections === connections);
const fixedFastify = fixedOf('gateway-fastify', 1);
const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const row = (label: string, kind: Kind, versus?: number): string =>
  `| ${label} | ${n(summary[kind].rps)} | ${summary[kind].p50} | ${summary[kind].p99} | ${summary[kind].max} | ${versus === undefined ? '' : `${(versus * 100).toFixed(0)}%`} |`;
const command = 'npm run bench';

const markdown = [
  '## HTTP: gateway overhead per tool call',
  '',
  machineLine(),
  `Command: \`${command}\` (${ROUNDS} rounds of ${DURATION} s per server, alternating bare and gateway, ${CONNECTIONS} connections, autocannon in its own process, each server in its own process; medians shown).`,
  'Raw numbers: `bench/results/http.json`. Bare servers answer `POST /echo` with the JSON body; the gateway answers an',
  'authenticated `POST /tools/call` of `echo` with bearer-token verification, zod validation, a durable (fsync, group-commit) audit entry and metrics.',
  '',
  '| server | requests/s | p50 (ms) | p99 (ms) | max (ms) | of bare |',
  '|---|---:|---:|---:|---:|---:|',
  row('bare Fastify', 'fastify'),
  row('gateway on Fastify', 'gateway-fastify', fastifyRatio),
  row('bare Express', 'express'),
  row('gateway on Express', 'gateway-express', expressRatio),
  '',
  `Fixed rate, ${FIXED_RATE} requests/s for ${FIXED_DURATION} s (p50 / p99 / max, ms):`,
  '',
  '| server | 1 paced connection | ' + `${CONNECTIONS} connections (bursty) |`,
  '|---|---:|---:|',
  ...(['fastify', 'gateway-fastify', 'gateway-express'] as const).map((kind) => {
    const cell = (run: FixedRun | undefined) => (run === undefined ? '?' : `${run.p50} / ${run.p99} / ${run.max}`);
    return `| ${kind} | ${cell(fixedOf(kind, 1))} | ${cell(fixedOf(kind, CONNECTIONS))} |`;
  }),
  '',
  `Targets: gateway on Fastify at least 50% of bare Fastify's requests/s: ${fastifyRatio >= 0.5 ? 'met' : `missed by ${((0.5 - fastifyRatio) * 100).toFixed(0)} points`} (${(fastifyRatio * 100).toFixed(0)}%). p99 under 5 ms at ${FIXED_RATE} requests/s (paced): ${(fixedFastify?.p99 ?? Infinity) < 5 ? 'met' : 'missed'} (${fixedFastify?.p99 ?? '?'} ms).`,
  `Failed requests during the runs: ${order.map((k) => `${k} ${summary[k].failures}`).join(', ')}.`,
].join('\n');

await writeBenchmarkSection('http', markdown, { cpus: cpus().length, duration: DURATION, rounds: ROUNDS, connections: CONNECTIONS, runs, fixed, summary }, 'bench/results/http.json');
