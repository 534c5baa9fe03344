// Pooled sandbox calls against spawning a fresh worker per call, same worker, same isolation.
//   npm run bench -w @agent-gateway/sandbox
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, percentile, writeBenchmarkSection } from '../../../scripts/benchmarks-file.js';
import { BUNDLED_WORKER_PATH, detectBwrap, SandboxPool, scrubbedEnvironment, WorkerProcess, workerCommand } from '../src/index.js';

const POOLED_CALLS = Number(process.env.BENCH_POOLED_CALLS ?? 5000);
const SPAWNED_CALLS = Number(process.env.BENCH_SPAWNED_CALLS ?? 100);
const THROUGHPUT_MS = 3000;

interface Figures {
  p50Ms: number;
  p99Ms: number;
  callsPerSecond: number;
}

function summarise(latencies: number[], seconds: number, calls: number): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), callsPerSecond: calls / seconds };
}

async function pooled(bwrap: boolean): Promise<{ sequential: Figures; concurrent: Figures }> {
  const pool = await SandboxPool.start({ size: 2, isolation: bwrap ? 'bwrap' : 'none' });
  for (let i = 0; i < 200; i += 1) await pool.call('echo', { i });
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < POOLED_CALLS; i += 1) {
    const t = performance.now();
    await pool.call('echo', { text: 'hello' });
    latencies.push(performance.now() - t);
  }
  const sequential = summarise(latencies, (performance.now() - started) / 1000, POOLED_CALLS);
  // Throughput with 8 callers sharing the 2 workers.
  const concurrentLatencies: number[] = [];
  const deadline = performance.now() + THROUGHPUT_MS;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await pool.call('echo', { text: 'hello' });
        concurrentLatencies.push(performance.now() - t);
      }
    }),
  );
  const concurrent = summarise(concurrentLatencies, (performance.now() - begin) / 1000, concurrentLatencies.length);
  await pool.close();
  return { sequential, concurrent };
}

async function spawnPerCall(bwrap: boolean): Promise<Figures> {
  const root = await mkdtemp(join(tmpdir(), 'spawn-bench-'));
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < SPAWNED_CALLS; i += 1) {
    const t = performance.now();
    const scratch = await mkdtemp(join(root, 'w-'));
    const { command, args } = workerCommand({ workerPath: BUNDLED_WORKER_PATH, scratchDir: scratch, toolsDir: undefined, heapLimitMb: 128, bwrap });
    const worker = new WorkerProcess({ command, args, env: scrubbedEnvironment(scratch, {}), cwd: scratch });
    await worker.request('echo', { text: 'hello' });
    await worker.kill();
    latencies.push(performance.now() - t);
  }
  const figures = summarise(latencies, (performance.now() - started) / 1000, SPAWNED_CALLS);
  await rm(root, { recursive: true, force: true });
  return figures;
}

const bwrap = detectBwrap().usable;
const pool = await pooled(bwrap);
const spawned = await spawnPerCall(bwrap);
const ms = (n: number): string => (n < 1 ? n.toFixed(3) : n.toFixed(2));
const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
const speedup = spawned.p50Ms / pool.sequential.p50Ms;
console.log({ bwrap, pool, spawned, speedup });

const markdown = [
  '## Sandbox: pooled workers against a fresh process per call',
  '',
  machineLine(),
  `Bundled worker, \`echo\` action, Node permission model on${bwrap ? ', inside bubblewrap' : ' (bubblewrap not usable here)'}; pool of 2.`,
  'Command: `npm run bench -w @agent-gateway/sandbox`. Raw numbers: `packages/sandbox/bench/results/pool-vs-spawn.json`.',
  '',
  '| mode | calls | p50 (ms) | p99 (ms) | calls/s |',
  '|---|---:|---:|---:|---:|',
  `| pool, one caller | ${POOLED_CALLS} | ${ms(pool.sequential.p50Ms)} | ${ms(pool.sequential.p99Ms)} | ${rate(pool.sequential.callsPerSecond)} |`,
  `| pool, 8 concurrent callers | ${rate(pool.concurrent.callsPerSecond * (THROUGHPUT_MS / 1000))} | ${ms(pool.concurrent.p50Ms)} | ${ms(pool.concurrent.p99Ms)} | ${rate(pool.concurrent.callsPerSecond)} |`,
  `| spawn per call | ${SPAWNED_CALLS} | ${ms(spawned.p50Ms)} | ${ms(spawned.p99Ms)} | ${rate(spawned.callsPerSecond)} |`,
  '',
  `Pooled p50 is ${speedup.toFixed(0)}x faster than spawning per call. Targets: pooled p50 under 1 ms (${pool.sequential.p50Ms < 1 ? 'met' : `missed: ${ms(pool.sequential.p50Ms)} ms`}), at least 30x faster than spawn-per-call (${speedup >= 30 ? 'met' : `missed: ${speedup.toFixed(1)}x`}).`,
].join('\n');
await writeBenchmarkSection('sandbox-pool', markdown, { bwrap, pool, spawned }, 'packages/sandbox/bench/results/pool-vs-spawn.json');
