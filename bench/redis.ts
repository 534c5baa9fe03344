// Tool calls with the Redis stores against the embedded defaults, at one and at two gateway processes.
//   npm run bench:redis   (BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_FIXED_DURATION=10 BENCH_FIXED_ROUNDS=3 to change;
//                          BENCH_REDIS_URL, else REDIS_URL, else redis://127.0.0.1:6379)
// Each gateway process (bench/redis-servers.ts) and each load (bench/redis-load.ts) runs in a process of
// its own; every cell starts a fresh deployment, embedded and Redis alternating, medians over rounds.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { RedisState } from '@agent-gateway/redis';
import { machineLine, percentile, writeBenchmarkSection } from '../scripts/benchmarks-file.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FIXED_DURATION = Number(process.env.BENCH_FIXED_DURATION ?? 10);
const FIXED_ROUNDS = Number(process.env.BENCH_FIXED_ROUNDS ?? 3);
const FIXED_RATE = 1000;
const THROUGHPUT_CONNECTIONS = [10, 100] as const;
/** Connections of the paced runs, in all (split evenly over the processes, at least one each). */
const PACED_CONNECTIONS = [1, 10] as const;
const PROCESSES = [1, 2] as const;
const TARGET_MS = 1;
/** A paced cell that reached less than this share of FIXED_RATE did not keep up; the target is not judged on it. */
const REACHED = 0.95;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = resolve(import.meta.dirname, '..');

type Stores = 'embedded' | 'redis';

interface LoadResult {
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  autocannon: { p50: number; p99: number; max: number };
  latencies: number[];
}

interface Cell {
  stores: Stores;
  processes: number;
  /** In all, as asked; each process's load opens `connectionsEach(connections, processes)` of them. */
  connections: number;
  /** Requests per second in all; absent: as fast as the deployment answers. */
  rate?: number;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** autocannon's own p99 (whole ms; corrected for coordinated omission when paced), worst process. */
  autocannonP99: number;
  failures: number;
  perProcess: Array<{ requestsPerSecond: number; p99: number }>;
}

/** The URL without its credentials, for what is printed and written. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

// Every child is killed however this process ends: normally, on an error, or on Ctrl-C. The children
// also exit by themselves when their stdin ends, which covers this process being killed outright.
const children = new Set<ChildProcess>();
/** Set on Ctrl-C: nothing new is started, and what fails because its children were killed is not an error. */
let interrupted = false;
const killAll = (): void => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killAll);

function spawnChild(script: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; nextLine: () => Promise<string> } {
  if (interrupted) throw new Error('interrupted');
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, script), ...args], { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const queue: string[] = [];
  let waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | undefined;
  let ended: Error | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (waiting === undefined) queue.push(line);
    else {
      waiting.resolve(line);
      waiting = undefined;
    }
  });
  // `close`, not `exit`: the last lines it wrote have been read by then.
  child.once('close', (code, signal) => {
    children.delete(child);
    ended = new Error(`${script} ${args[0] ?? ''} exited (${code ?? signal})`);
    waiting?.reject(ended);
    waiting = undefined;
  });
  const nextLine = (): Promise<string> => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (ended !== undefined) return Promise.reject(ended);
    return new Promise((resolveLine, reject) => {
      waiting = { resolve: resolveLine, reject };
    });
  };
  return { child, nextLine };
}

async function stop(child: ChildProcess): Promise<void> {
  if (!children.has(child)) return;
  const closed = new Promise((resolveClose) => child.once('close', resolveClose));
  child.kill('SIGKILL');
  await closed;
}

/** Deletes every key under `prefix` (SCAN, never KEYS: the server is shared). */
async function deleteKeys(state: RedisState, prefix: string): Promise<number> {
  let deleted = 0;
  const stream = state.client.scanStream({ match: `${prefix}*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await state.client.unlink(...keys);
  }
  return deleted;
}

interface Deployment {
  servers: Array<{ child: ChildProcess; port: number; token: string }>;
  close(): Promise<void>;
}

let deployments = 0;

/** `processes` gateway processes; with Redis they share one key prefix of their own, deleted on close. */
async function startDeployment(stores: Stores, processes: number, state: RedisState, runPrefix: string, dir: string): Promise<Deployment> {
  deployments += 1;
  const prefix = `${runPrefix}${deployments}:`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The packages as a user's app loads them (dist), as bench/servers.ts is run, not the sources the root tsconfig maps.
    TSX_TSCONFIG_PATH: resolve(root, 'bench/tsconfig.dist.json'),
    BENCH_JWT_SECRET: randomBytes(32).toString('base64url'),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
  };
  const auditDir = join(dir, `deployment-${deployments}`);
  const servers: Deployment['servers'] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((server) => stop(server.child)));
    if (stores === 'redis' && state.up) await deleteKeys(state, prefix);
    // A run at 100 connections writes tens of megabytes of audit log.
    await rm(auditDir, { recursive: true, force: true });
  };
  try {
    for (let i = 1; i <= processes; i += 1) {
      const processDir = join(auditDir, `process-${i}`);
      await mkdir(processDir, { recursive: true });
      const { child, nextLine } = spawnChild('bench/redis-servers.ts', [stores, `bench-${i}`, processDir], env);
      servers.push({ child, port: 0, token: '' });
      const { port, token } = JSON.parse(await nextLine()) as { port: number; token: string };
      servers[servers.length - 1] = { child, port, token };
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { servers, close };
}

/** Connections each load process opens: `connections` in all, split evenly, at least one each. */
const connectionsEach = (connections: number, processes: number): number => Math.max(1, Math.round(connections / processes));

/** One load process per server, started together; `connections` and `rate` are in all, split evenly. */
async function load(deployment: Deployment, connections: number, durationSeconds: number, rate?: number): Promise<LoadResult[]> {
  const count = deployment.servers.length;
  const loads = deployment.servers.map((server) =>
    spawnChild(
      'bench/redis-load.ts',
      [
        JSON.stringify({
          url: `http://127.0.0.1:${server.port}/tools/call`,
          token: server.token,
          connections: connectionsEach(connections, count),
          durationSeconds,
          ...(rate === undefined ? {} : { rate: rate / count }),
        }),
      ],
      process.env,
    ),
  );
  try {
    for (const one of loads) {
      const line = await one.nextLine();
      if (line !== 'ready') throw new Error(`a load process said ${JSON.stringify(line)} instead of ready`);
    }
    for (const one of loads) one.child.stdin?.write('go\n');
    return await Promise.all(loads.map(async (one) => JSON.parse(await one.nextLine()) as LoadResult));
  } finally {
    await Promise.all(loads.map((one) => stop(one.child)));
  }
}

async function measure(stores: Stores, processes: number, connections: number, durationSeconds: number, round: number, context: { state: RedisState; runPrefix: string; dir: string }, rate?: number): Promise<Cell> {
  const deployment = await startDeployment(stores, processes, context.state, context.runPrefix, context.dir);
  try {
    // A short unpaced warm-up, as in bench/run.ts, so the JIT and connection pools are settled.
    await load(deployment, Math.max(connections, 10), 1);
    const results = await load(deployment, connections, durationSeconds, rate);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      stores,
      processes,
      connections,
      ...(rate === undefined ? {} : { rate }),
      round,
      requestsPerSecond: results.reduce((sum, r) => sum + r.requestsPerSecond, 0),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      autocannonP99: Math.max(...results.map((r) => r.autocannon.p99)),
      failures: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0),
      perProcess: results.map((r) => ({ requestsPerSecond: r.requestsPerSecond, p99: percentile([...r.latencies].sort((a, b) => a - b), 99) })),
    };
  } finally {
    await deployment.close();
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const ms = (value: number): string => value.toFixed(2);
const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** Runs every cell `rounds` times, embedded and Redis side by side, the first of the two alternating. */
async function rounds(label: string, count: number, cells: Array<{ processes: number; connections: number }>, run: (stores: Stores, processes: number, connections: number, round: number) => Promise<Cell>): Promise<Cell[]> {
  const out: Cell[] = [];
  for (let round = 1; round <= count; round += 1) {
    for (const { processes, connections } of cells) {
      for (const stores of (round % 2 === 1 ? ['embedded', 'redis'] : ['redis', 'embedded']) as Stores[]) {
        const cell = await run(stores, processes, connections, round);
        out.push(cell);
        console.log(
          `${label} round ${round} ${stores.padEnd(8)} ${processes} process(es) ${String(connections).padStart(3)} conn: ${n(cell.requestsPerSecond)} req/s  p50 ${ms(cell.p50)} ms  p99 ${ms(cell.p99)} ms (autocannon ${cell.autocannonP99})  failures ${cell.failures}`,
        );
      }
    }
  }
  return out;
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  max: number;
  autocannonP99: number;
  failures: number;
}
function summarise(cells: Cell[], stores: Stores, processes: number, connections: number): Summary {
  const mine = cells.filter((c) => c.stores === stores && c.processes === processes && c.connections === connections);
  return {
    rps: median(mine.map((c) => c.requestsPerSecond)),
    p50: median(mine.map((c) => c.p50)),
    p99: median(mine.map((c) => c.p99)),
    max: Math.max(...mine.map((c) => c.max)),
    autocannonP99: median(mine.map((c) => c.autocannonP99)),
    failures: mine.reduce((sum, c) => sum + c.failures, 0),
  };
}

function markdown(throughput: Cell[], paced: Cell[], redisAt: string): { text: string; differences: Array<{ processes: number; connections: number; ms: number }> } {
  const t = (s: Stores, p: number, c: number): Summary => summarise(throughput, s, p, c);
  const f = (s: Stores, p: number, c: number): Summary => summarise(paced, s, p, c);
  const pacedLabel = (c: number): string => (c === 1 ? '1 connection per process' : `${c} connections in all`);
  const differences = PROCESSES.flatMap((processes) => PACED_CONNECTIONS.map((connections) => ({ processes, connections, ms: f('redis', processes, connections).p99 - f('embedded', processes, connections).p99 })));
  const met = differences.every((d) => d.ms <= TARGET_MS);
  // A deployment that could not keep up with the pace was saturated: its p99 is queueing, not Redis.
  const shortOfPace = PROCESSES.flatMap((p) => PACED_CONNECTIONS.flatMap((c) => (['embedded', 'redis'] as const).filter((s) => f(s, p, c).rps < FIXED_RATE * REACHED).map((s) => `${s}, ${p} process${p === 1 ? '' : 'es'}, ${pacedLabel(c)}: ${n(f(s, p, c).rps)}/s`)));
  const verdict = shortOfPace.length > 0 ? 'not judged, see below' : met ? 'met' : `missed (worst +${ms(Math.max(...differences.map((d) => d.ms)))} ms)`;
  const rows = PROCESSES.flatMap((p) => (['embedded', 'redis'] as const).map((s) => [s, p] as const));
  const failures = [...throughput, ...paced].reduce((sum, c) => sum + c.failures, 0);
  const text = [
    '## Redis stores against the embedded defaults',
    '',
    machineLine(),
    `Command: \`npm run bench:redis\` (throughput: ${plural(ROUNDS, 'round')} of ${DURATION} s per cell; paced: ${plural(FIXED_ROUNDS, 'round')} of ${FIXED_DURATION} s per cell; medians shown).`,
    'Raw numbers: `bench/results/redis.json`. The gateway on Fastify answers an authenticated `POST /tools/call` of `echo`',
    'with a durable (fsync, group-commit) audit entry, as in the HTTP section. Embedded: the default in-memory stores.',
    `Redis (${redisAt}): every store \`redisStoresFromConfig\` gives the example servers when \`REDIS_URL\` is set, so each call`,
    'checks revocations and reads its user in Redis. Rate limits are on, at 100,000,000/min globally and per token, so every',
    'call takes a token from both buckets (in memory, or the Redis Lua bucket) and none is refused.',
    'Every cell starts a fresh deployment (embedded and Redis alternate); two processes share one Redis key prefix and',
    'each gets its own autocannon process, started together, the load split evenly between them. Latencies are every',
    '2xx response time (sub-millisecond); autocannon\'s own p99 (whole ms, corrected for coordinated omission) is in brackets.',
    'Servers, load generators and Redis share the machine\'s CPUs, so a second process cannot double the throughput here.',
    '',
    'Throughput, as fast as the deployment answers (requests/s, p99 ms):',
    '',
    `| stores | processes | ${THROUGHPUT_CONNECTIONS.map((c) => `${c} connections in all`).join(' | ')} |`,
    `|---|---:|${THROUGHPUT_CONNECTIONS.map(() => '---:').join('|')}|`,
    ...rows.map(([s, p]) => `| ${s} | ${p} | ${THROUGHPUT_CONNECTIONS.map((c) => `${n(t(s, p, c).rps)} (p99 ${ms(t(s, p, c).p99)})`).join(' | ')} |`),
    '',
    `Redis's share of the embedded throughput: ${PROCESSES.flatMap((p) => THROUGHPUT_CONNECTIONS.map((c) => `${p} process${p === 1 ? '' : 'es'}, ${c} connections ${((t('redis', p, c).rps / t('embedded', p, c).rps) * 100).toFixed(0)}%`)).join('; ')}.`,
    '',
    `Paced, ${n(FIXED_RATE)} calls/s in all (p50 / p99 / max ms, [autocannon p99], calls/s reached):`,
    '',
    `| stores | processes | ${PACED_CONNECTIONS.map(pacedLabel).join(' | ')} |`,
    `|---|---:|${PACED_CONNECTIONS.map(() => '---:').join('|')}|`,
    ...rows.map(([s, p]) => `| ${s} | ${p} | ${PACED_CONNECTIONS.map((c) => `${ms(f(s, p, c).p50)} / ${ms(f(s, p, c).p99)} / ${ms(f(s, p, c).max)} [${f(s, p, c).autocannonP99}] ${n(f(s, p, c).rps)}/s`).join(' | ')} |`),
    '',
    `p99 with Redis minus p99 embedded, at ${n(FIXED_RATE)} calls/s: ${differences.map((d) => `${d.processes} process${d.processes === 1 ? '' : 'es'}, ${pacedLabel(d.connections)} ${d.ms >= 0 ? '+' : ''}${ms(d.ms)} ms`).join('; ')}.`,
    `Target: Redis adds no more than about ${TARGET_MS} ms to p99 at ${n(FIXED_RATE)} calls/s: ${verdict}.`,
    ...(shortOfPace.length === 0 ? [] : [`Below ${(REACHED * 100).toFixed(0)}% of the pace (the machine was saturated, so these p99s measure queueing): ${shortOfPace.join('; ')}.`]),
    `Failed requests during the runs: ${failures}.`,
  ].join('\n');
  return { text, differences };
}

async function main(): Promise<void> {
  const redisAt = shownUrl(REDIS_URL);
  const state = new RedisState({ url: REDIS_URL, keyPrefix: 'unused:', redis: { retryStrategy: () => null, connectTimeout: 1000 } });
  // ioredis rejects with "Connection is closed."; the error event before it says why.
  let cause: unknown;
  state.client.on('error', (error) => {
    cause = error;
  });
  try {
    await state.connect();
    await state.client.ping();
  } catch (error) {
    const reason = cause ?? error;
    console.log(`skipped: Redis benchmark (no Redis answers at ${redisAt}: ${reason instanceof Error ? reason.message : String(reason)}; start one with redis-server)`);
    state.client.disconnect();
    return;
  }
  const runPrefix = `agbench:${randomUUID()}:`;
  const dir = await mkdtemp(join(tmpdir(), 'bench-redis-'));
  const context = { state, runPrefix, dir };
  let cleaned: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaned ??= (async () => {
      killAll();
      await deleteKeys(state, runPrefix).catch((error: unknown) => console.error(`could not delete the keys under ${runPrefix}: ${String(error)}`));
      await state.close();
      await rm(dir, { recursive: true, force: true });
    })());
  // Ctrl-C kills the children, so whatever waits on them fails and the run unwinds to its clean-up below
  // (cleaning up only then, so nothing is created again after it); if it does not unwind soon, it is forced.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.exitCode = 130;
      console.log(`${signal}: stopping; nothing is written`);
      killAll();
      setTimeout(() => void cleanUp().finally(() => process.exit(130)), 10_000).unref();
    });
  }
  try {
    const throughputCells = PROCESSES.flatMap((processes) => THROUGHPUT_CONNECTIONS.map((connections) => ({ processes, connections })));
    const throughput = await rounds('throughput', ROUNDS, throughputCells, (stores, processes, connections, round) => measure(stores, processes, connections, DURATION, round, context));
    const pacedCells = PROCESSES.flatMap((processes) => PACED_CONNECTIONS.map((connections) => ({ processes, connections })));
    const paced = await rounds(`paced ${FIXED_RATE}/s`, FIXED_ROUNDS, pacedCells, (stores, processes, connections, round) => measure(stores, processes, connections, FIXED_DURATION, round, context, FIXED_RATE));
    const { text, differences } = markdown(throughput, paced, redisAt);
    console.log(text);
    if (interrupted) return;
    await writeBenchmarkSection('redis', text, { redis: redisAt, duration: DURATION, rounds: ROUNDS, fixedDuration: FIXED_DURATION, fixedRounds: FIXED_ROUNDS, fixedRate: FIXED_RATE, targetMs: TARGET_MS, throughput, paced, p99DifferenceMs: differences }, 'bench/results/redis.json');
  } catch (error) {
    if (!interrupted) throw error;
  } finally {
    await cleanUp();
  }
}

await main();
