// Gateway overhead per tool call against bare Express and Fastify, side by side.
//   npm run bench      (BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_FIXED_DURATION=20 BENCH_RSS_CALLS=1000000 to change)
// Each server runs in its own process and autocannon in another; within a round every pair runs
// back to back (bare, then gateway), so a busy moment of the machine hits both alike.
import { cpus } from 'node:os';
import { machineLine, writeBenchmarkSection } from '../scripts/benchmarks-file.js';
import { load, measure, median, rssMiB, startServer, stopServer, type LoadResult, type ServerKind, type Target } from './load.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FIXED_RATE = 1000;
const FIXED_DURATION = Number(process.env.BENCH_FIXED_DURATION ?? 20);
const RSS_CALLS = Number(process.env.BENCH_RSS_CALLS ?? 1_000_000);
const CONNECTIONS = [10, 100] as const;

/** A gateway cell and the bare cell it is held against, with the share it must reach. */
interface Pair {
  readonly label: string;
  readonly bare: ServerKind;
  readonly gateway: ServerKind;
  readonly target: Target;
  /** Target share of bare's requests/s, per connection count. */
  readonly goal: Readonly<Record<(typeof CONNECTIONS)[number], number | undefined>>;
}

const PAIRS: readonly Pair[] = [
  { label: 'Fastify, tool call', bare: 'fastify', gateway: 'gateway-fastify', target: 'call', goal: { 10: 0.4, 100: 0.5 } },
  { label: 'Express, tool call', bare: 'express', gateway: 'gateway-express', target: 'call', goal: { 10: 0.9, 100: 0.9 } },
  { label: 'Fastify, GET /health', bare: 'fastify', gateway: 'gateway-fastify', target: 'health', goal: { 10: 0.85, 100: 0.85 } },
];

interface Cell extends LoadResult {
  readonly kind: ServerKind;
  readonly target: Target;
  readonly connections: number;
  readonly round: number;
}

const cells: Cell[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  for (const connections of CONNECTIONS) {
    for (const pair of PAIRS) {
      for (const kind of [pair.bare, pair.gateway]) {
        const result = await measure(kind, pair.target, ['-c', String(connections), '-d', String(DURATION)], connections);
        cells.push({ ...result, kind, target: pair.target, connections, round });
        console.log(`round ${round} c=${connections} ${pair.target.padEnd(6)} ${kind.padEnd(16)} ${Math.round(result.requestsPerSecond)} req/s  p99 ${result.p99} ms  cpu ${result.cpuMicrosPerRequest?.toFixed(0) ?? '?'} µs/req  failures ${result.failures}`);
      }
    }
  }
}

const cellsOf = (kind: ServerKind, target: Target, connections: number): Cell[] =>
  cells.filter((c) => c.kind === kind && c.target === target && c.connections === connections);
const rpsOf = (kind: ServerKind, target: Target, connections: number): number => median(cellsOf(kind, target, connections).map((c) => c.requestsPerSecond));
const p99Of = (kind: ServerKind, target: Target, connections: number): number => median(cellsOf(kind, target, connections).map((c) => c.p99));
const cpuOf = (kind: ServerKind, target: Target, connections: number): string => {
  const values = cellsOf(kind, target, connections).flatMap((c) => (c.cpuMicrosPerRequest === undefined ? [] : [c.cpuMicrosPerRequest]));
  return values.length === 0 ? '?' : median(values).toFixed(0);
};

// Paced: the latency of one call when the server is not saturated. One connection shows the call
// itself; with 10, autocannon sends each tick's requests in a burst, which queue even on a bare server.
interface Paced extends LoadResult {
  readonly kind: ServerKind;
  readonly connections: number;
}
const paced: Paced[] = [];
for (const connections of [1, 10]) {
  for (const kind of ['fastify', 'gateway-fastify', 'express', 'gateway-express'] as const) {
    const result = await measure(kind, 'call', ['-c', String(connections), '-d', String(FIXED_DURATION), '-R', String(FIXED_RATE)], connections);
    paced.push({ ...result, kind, connections });
    console.log(`paced ${FIXED_RATE}/s c=${connections} ${kind.padEnd(16)} p50 ${result.p50} ms  p99 ${result.p99} ms  max ${result.max} ms  failures ${result.failures}`);
  }
}

// Memory: RSS sampled while RSS_CALLS calls go through the gateway on Fastify, as fast as it answers.
const rss: { calls: number; mib: number }[] = [];
let rssRun: LoadResult | undefined;
{
  const server = await startServer('gateway-fastify');
  try {
    const pid = server.child.pid ?? 0;
    rss.push({ calls: 0, mib: await rssMiB(pid) });
    const step = Math.max(1, Math.floor(RSS_CALLS / 10));
    let done = 0;
    let failures = 0;
    let seconds = 0;
    while (done < RSS_CALLS) {
      const run = await load('gateway-fastify', 'call', server, ['-c', '100', '-a', String(Math.min(step, RSS_CALLS - done))]);
      done += run.requests;
      failures += run.failures;
      seconds += run.requests / Math.max(run.requestsPerSecond, 1);
      rss.push({ calls: done, mib: await rssMiB(pid) });
      console.log(`rss after ${done} calls: ${rss[rss.length - 1]?.mib.toFixed(1)} MiB`);
      if (run.requests === 0) break;
    }
    rssRun = { requestsPerSecond: done / Math.max(seconds, 1e-9), requests: done, p50: 0, p99: 0, max: 0, failures };
  } finally {
    await stopServer(server);
  }
}

const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const pct = (value: number): string => `${(value * 100).toFixed(0)}%`;
const verdicts: string[] = [];
const tableRows = CONNECTIONS.flatMap((connections) =>
  PAIRS.map((pair) => {
    const bare = rpsOf(pair.bare, pair.target, connections);
    const gateway = rpsOf(pair.gateway, pair.target, connections);
    const ratio = gateway / bare;
    const goal = pair.goal[connections];
    if (goal !== undefined) verdicts.push(`${pair.label}, ${connections} connections: ${pct(ratio)} of bare (target ${pct(goal)}: ${ratio >= goal ? 'met' : 'missed'})`);
    return `| ${pair.label} | ${connections} | ${n(bare)} | ${n(gateway)} | ${pct(ratio)} | ${goal === undefined ? '' : pct(goal)} | ${p99Of(pair.bare, pair.target, connections)} / ${p99Of(pair.gateway, pair.target, connections)} | ${cpuOf(pair.bare, pair.target, connections)} / ${cpuOf(pair.gateway, pair.target, connections)} |`;
  }),
);
const pacedCell = (kind: ServerKind, connections: number): string => {
  const run = paced.find((p) => p.kind === kind && p.connections === connections);
  return run === undefined ? '?' : `${run.p50} / ${run.p99} / ${run.max}`;
};
const pacedGateway = paced.find((p) => p.kind === 'gateway-fastify' && p.connections === 1);
const firstTenth = rss[1]?.mib ?? Number.NaN;
const last = rss[rss.length - 1]?.mib ?? Number.NaN;
const failures = cells.reduce((sum, c) => sum + c.failures, 0) + paced.reduce((sum, p) => sum + p.failures, 0) + (rssRun?.failures ?? 0);

const markdown = [
  '## HTTP: gateway overhead per tool call',
  '',
  machineLine(),
  `Command: \`npm run bench\` (${ROUNDS} rounds of ${DURATION} s per cell; in each round every bare server is followed at once by its gateway; medians of the rounds; autocannon in its own process, each server in its own process, the packages loaded from their built \`dist\`).`,
  'Raw numbers: `bench/results/http.json`. Bare servers answer `POST /echo` with the JSON body and `GET /health` with `{"status":"ok"}`; the gateway answers an',
  'authenticated `POST /tools/call` of `echo` (bearer token, zod validation, a durable audit entry: fsync with group commit, before the answer) and its own `GET /health`.',
  '',
  '| what | connections | bare (req/s) | gateway (req/s) | gateway / bare | target | p99 bare / gateway (ms) | CPU per request, bare / gateway (µs, main thread) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
  ...tableRows,
  '',
  `Paced at ${FIXED_RATE} calls/s for ${FIXED_DURATION} s (p50 / p99 / max, ms):`,
  '',
  '| server | 1 connection | 10 connections (bursts per tick) |',
  '|---|---:|---:|',
  ...(['fastify', 'gateway-fastify', 'express', 'gateway-express'] as const).map((kind) => `| ${kind} | ${pacedCell(kind, 1)} | ${pacedCell(kind, 10)} |`),
  '',
  `Memory: ${n(rssRun?.requests ?? 0)} calls through the gateway on Fastify at 100 connections (${n(rssRun?.requestsPerSecond ?? 0)} calls/s): RSS ${rss.map((r) => r.mib.toFixed(0)).join(' → ')} MiB, sampled every ${n(Math.floor(RSS_CALLS / 10))} calls; after the first tenth ${firstTenth.toFixed(0)} MiB, at the end ${last.toFixed(0)} MiB (${last - firstTenth >= 0 ? '+' : ''}${(last - firstTenth).toFixed(0)} MiB).`,
  '',
  'Targets:',
  ...verdicts.map((v) => `- ${v}.`),
  `- p99 under 2 ms at a paced ${FIXED_RATE} calls/s (gateway on Fastify, 1 connection): ${(pacedGateway?.p99 ?? Infinity) < 2 ? 'met' : 'missed'} (${pacedGateway?.p99 ?? '?'} ms).`,
  `- No request fails: ${failures === 0 ? 'met' : `missed (${failures} failed)`}.`,
  `- RSS flat over ${n(RSS_CALLS)} calls: ${last - firstTenth < 32 ? 'met' : 'missed'} (growth after the first tenth ${(last - firstTenth).toFixed(0)} MiB; 32 MiB is the bound used).`,
].join('\n');

await writeBenchmarkSection('http', markdown, { cpus: cpus().length, duration: DURATION, rounds: ROUNDS, cells, paced, rss, rssRun }, 'bench/results/http.json');
