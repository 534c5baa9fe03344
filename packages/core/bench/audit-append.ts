// Durable audit appends per second: group commit against one write + fsync per entry, at several
// numbers of concurrent appenders. Writes its figures into BENCHMARKS.md (between markers) and the
// raw numbers to bench/results/audit-append.json.
//   npm run bench -w @agent-gateway/core
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditLog } from '../src/audit/audit-log.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const CONCURRENCY = [1, 16, 256, 1024];
const root = resolve(import.meta.dirname, '../../..');

interface Result {
  mode: 'group commit' | 'fsync per entry';
  appenders: number;
  entries: number;
  seconds: number;
  perSecond: number;
  batches: number;
}

async function run(mode: Result['mode'], appenders: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'audit-bench-'));
  const log = await AuditLog.open(join(dir, 'audit.log'), { groupCommit: mode === 'group commit' });
  const details = { call_id: '6f1c2d3e-0000-4000-8000-000000000000', tool: 'echo', args: { text: 'hello world' }, outcome: 'ok', status: 200 };
  const actor = { type: 'user', user: 'agent-1', role: 'agent', jti: 'bench' } as const;
  let entries = 0;
  const started = performance.now();
  const deadline = started + DURATION_MS;
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (performance.now() < deadline) {
        await log.append('tool_call', actor, details);
        entries += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const batches = log.batches;
  const report = await log.verify();
  if (!report.ok) throw new Error(`chain broken after the run: ${JSON.stringify(report.first_broken)}`);
  await log.close();
  await rm(dir, { recursive: true, force: true });
  return { mode, appenders, entries, seconds, perSecond: entries / seconds, batches };
}

const results: Result[] = [];
for (const appenders of CONCURRENCY) {
  for (const mode of ['fsync per entry', 'group commit'] as const) {
    const result = await run(mode, appenders);
    results.push(result);
    console.log(`${mode.padEnd(16)} ${String(appenders).padStart(5)} appenders: ${Math.round(result.perSecond).toLocaleString('en-US')} entries/s (${result.batches} fsyncs)`);
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rows = CONCURRENCY.map((appenders) => {
  const per = results.find((r) => r.appenders === appenders && r.mode === 'fsync per entry');
  const group = results.find((r) => r.appenders === appenders && r.mode === 'group commit');
  const groupEntries = group === undefined ? 0 : group.entries / group.batches;
  return `| ${appenders} | ${fmt(per?.perSecond ?? 0)} | ${fmt(group?.perSecond ?? 0)} | ${fmt(groupEntries)} | ${((group?.perSecond ?? 0) / (per?.perSecond ?? 1)).toFixed(1)}x |`;
});
const best = Math.max(...results.filter((r) => r.mode === 'group commit').map((r) => r.perSecond));
const section = [
  '<!-- audit-append:start -->',
  '## Audit log: durable appends per second',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}),`,
  `${DURATION_MS / 1000} s per cell, each entry a \`tool_call\` (about 450 bytes as a line), made durable (fsync) before \`append()\` resolves.`,
  'Command: `npm run bench -w @agent-gateway/core`. Raw numbers: `packages/core/bench/results/audit-append.json`.',
  '',
  '| concurrent appenders | fsync per entry (entries/s) | group commit (entries/s) | entries per fsync (group) | speed-up |',
  '|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  `Target: at least 100,000 durable entries per second with concurrent appenders. Best group-commit figure: ${fmt(best)} entries/s (${best >= 100_000 ? 'met' : `missed by ${fmt(100_000 - best)}`}).`,
  '<!-- audit-append:end -->',
].join('\n');

const benchmarksPath = join(root, 'BENCHMARKS.md');
const existing = await readFile(benchmarksPath, 'utf8').catch(() => '# Benchmarks\n');
const updated = existing.includes('<!-- audit-append:start -->')
  ? existing.replace(/<!-- audit-append:start -->[\s\S]*<!-- audit-append:end -->/, section)
  : `${existing.trimEnd()}\n\n${section}\n`;
await writeFile(benchmarksPath, updated);
const resultsDir = resolve(import.meta.dirname, 'results');
await mkdir(resultsDir, { recursive: true });
await writeFile(join(resultsDir, 'audit-append.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, durationMs: DURATION_MS, results }, null, 2)}\n`);
console.log(`\nwrote ${benchmarksPath}`);
