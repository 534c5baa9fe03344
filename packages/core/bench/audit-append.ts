// Durable audit appends per second: group commit against one write + fsync per entry, at several
// numbers of concurrent appenders. Writes its figures into BENCHMARKS.md (between markers) and the
// raw numbers to bench/results/audit-append.json.
//   npm run bench -w @agent-gateway/core
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineLine, writeBenchmarkSection } from '../../../scripts/benchmarks-file.js';
import { AuditLog } from '../src/audit/audit-log.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2000);
const CONCURRENCY = [1, 16, 256, 1024];

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
const markdown = [
  '## Audit log: durable appends per second',
  '',
  machineLine(),
  `${DURATION_MS / 1000} s per cell, each entry a \`tool_call\` (about 450 bytes as a line), made durable (fsync) before \`append()\` resolves.`,
  'Command: `npm run bench -w @agent-gateway/core`. Raw numbers: `packages/core/bench/results/audit-append.json`.',
  '',
  '| concurrent appenders | fsync per entry (entries/s) | group commit (entries/s) | entries per fsync (group) | speed-up |',
  '|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  `Target: at least 100,000 durable entries per second with concurrent appenders. Best group-commit figure: ${fmt(best)} entries/s (${best >= 100_000 ? 'met' : `missed by ${fmt(100_000 - best)}`}).`,
].join('\n');

await writeBenchmarkSection('audit-append', markdown, { durationMs: DURATION_MS, results }, 'packages/core/bench/results/audit-append.json');
