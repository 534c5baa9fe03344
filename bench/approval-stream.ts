// Approval stream fan-out: how long after a held tool call is sent does each SSE subscriber hear of it,
// and does the caller's 202 wait behind the fan-out? Three processes: the gateway (built dist), 1,000
// subscribers, and this one, which sends the paced calls and times their 202s.
//   npm run bench:approvals [-- --label <name>] [--note <what the code was>] [--subscribers 1000] [--calls 200] [--interval-ms 200] [--cpu-prof]
// --cpu-prof writes a CPU profile of the gateway and of the subscribers' process into .tmp/approval-stream-profile/;
// --render-only rewrites the BENCHMARKS.md section from the runs already stored, measuring nothing.
// Each run is kept in bench/results/approval-stream.json under its label; the BENCHMARKS.md section lists them all.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { machineLine, percentile, writeBenchmarkSection } from '../scripts/benchmarks-file.js';

const root = resolve(import.meta.dirname, '..');
const RAW_PATH = 'bench/results/approval-stream.json';
const TARGET_P99_MS = 20;
const WARMUP_CALLS = 20;
const { values: flags } = parseArgs({
  options: {
    label: { type: 'string', default: 'latest' },
    note: { type: 'string', default: '' },
    subscribers: { type: 'string', default: '1000' },
    calls: { type: 'string', default: '200' },
    'interval-ms': { type: 'string', default: '200' },
    'cpu-prof': { type: 'boolean', default: false },
    'render-only': { type: 'boolean', default: false },
  },
});
const subscribers = Number(flags.subscribers);
const calls = Number(flags.calls);
const intervalMs = Number(flags['interval-ms']);

const now = (): number => performance.timeOrigin + performance.now();

/** Starts `bench/<script>` with tsx, the @agent-gateway packages from dist; resolves with its first stdout line. */
function start(script: string, args: readonly string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const profile = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${resolve(root, '.tmp/approval-stream-profile')}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', resolve(root, 'bench', script), ...args], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, TSX_TSCONFIG_PATH: resolve(root, 'bench/tsconfig.dist.json') },
  });
  if (child.stdout === null) throw new Error(`${script}: no stdout`);
  return { child, lines: createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]() };
}

async function nextLine<T>(lines: AsyncIterator<string>, what: string): Promise<T> {
  const line = await lines.next();
  if (line.done === true) throw new Error(`${what} exited before answering`);
  return JSON.parse(line.value) as T;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

interface CallTiming {
  readonly approvalId: string;
  readonly sentAt: number;
  readonly answeredMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** One held call: `sentAt` just before the request is written, the 202 timed to its last byte. */
function heldCall(port: number, token: string, n: number): Promise<CallTiming> {
  const body = JSON.stringify({ tool: 'deploy', args: { service: `svc-${n}`, version: '1.2.3', note: 'token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB rollout' } });
  return new Promise((resolveCall, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/tools/call',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
    });
    const sentAt = now();
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.once('end', () => {
        const answeredMs = now() - sentAt;
        if (res.statusCode !== 202) reject(new Error(`call ${n}: status ${res.statusCode} ${text}`));
        else resolveCall({ approvalId: (JSON.parse(text) as { approval_id: string }).approval_id, sentAt, answeredMs });
      });
    });
    req.end(body);
  });
}

/** Calls sent on a fixed schedule (open loop): a slow answer does not delay the next call. */
async function pacedCalls(port: number, token: string, count: number, offset: number): Promise<CallTiming[]> {
  const started = performance.now();
  const pending: Promise<CallTiming>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = started + i * intervalMs - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    pending.push(heldCall(port, token, offset + i));
  }
  return Promise.all(pending);
}

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const ms = (value: number): number => Math.round(value * 100) / 100;

interface Figures {
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

interface RunFigures {
  readonly label: string;
  /** What the gateway's code was when measured (old code, one step of a change...). */
  readonly note?: string;
  readonly date: string;
  /** HEAD when measured; the build is the working tree's, which may hold uncommitted work. */
  readonly commit: string;
  readonly loadAverage: number;
  readonly subscribers: number;
  readonly calls: number;
  readonly intervalMs: number;
  readonly delivered: number;
  readonly expected: number;
  /** Null (in the JSON) when nothing was delivered: a run without subscribers. */
  readonly delivery: Figures;
  /** Per event, when its last subscriber had it: how long one fan-out takes. */
  readonly lastSubscriber: Figures;
  readonly accepted: Figures;
}

async function run(): Promise<RunFigures> {
  const loadAverage = loadavg()[0] ?? 0;
  const server = start('approval-stream-server.ts', []);
  const { port, agentToken, approverToken } = await nextLine<{ port: number; agentToken: string; approverToken: string }>(server.lines, 'server');
  const clients = start('approval-stream-subscribers.ts', [String(port), approverToken, String(subscribers)]);
  try {
    const { ready } = await nextLine<{ ready: number }>(clients.lines, 'subscribers');
    if (ready !== subscribers) throw new Error(`${ready} of ${subscribers} subscribers connected`);
    await pacedCalls(port, agentToken, WARMUP_CALLS, 0);
    const timings = await pacedCalls(port, agentToken, calls, WARMUP_CALLS);
    await new Promise((r) => setTimeout(r, 2000)); // the last fan-out reaches every client
    clients.child.stdin?.write('report\n');
    const report = await nextLine<{ received: Record<string, number[]>; perClient: number[] }>(clients.lines, 'subscribers');
    const delivery: number[] = [];
    const lastSubscriber: number[] = [];
    for (const { approvalId, sentAt } of timings) {
      const times = report.received[approvalId] ?? [];
      for (const at of times) delivery.push(at - sentAt);
      if (times.length > 0) lastSubscriber.push(Math.max(...times) - sentAt);
    }
    const stats = (values: readonly number[]) => {
      const s = sorted(values);
      return { p50: ms(percentile(s, 50)), p99: ms(percentile(s, 99)), max: ms(s.at(-1) ?? Number.NaN) };
    };
    return {
      label: flags.label,
      note: flags.note,
      date: new Date().toISOString(),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
      loadAverage: ms(loadAverage),
      subscribers,
      calls,
      intervalMs,
      delivered: delivery.length,
      expected: calls * subscribers,
      delivery: stats(delivery),
      lastSubscriber: stats(lastSubscriber),
      accepted: stats(timings.map((t) => t.answeredMs)),
    };
  } finally {
    await stop(clients.child);
    await stop(server.child);
    agent.destroy();
  }
}

/** A figure, or a dash where there is none (no subscribers: nothing delivered). */
const figure = (value: number | null): string => (value === null || Number.isNaN(value) ? '–' : String(value));

function section(runs: readonly RunFigures[], latest: RunFigures): string {
  const row = (r: RunFigures) =>
    `| ${r.label} | ${r.note ?? ''} | ${r.loadAverage} | ${r.subscribers.toLocaleString('en')} | ${r.calls} × ${r.intervalMs} ms | ${r.delivered.toLocaleString('en')} of ${r.expected.toLocaleString('en')} | ${[r.delivery.p50, r.delivery.p99, r.delivery.max].map(figure).join(' / ')} | ${[r.lastSubscriber.p50, r.lastSubscriber.p99].map(figure).join(' / ')} | ${r.accepted.p50} / ${r.accepted.p99} |`;
  const p99 = latest.delivery.p99;
  const met = latest.subscribers >= 1000 && latest.delivered === latest.expected && p99 !== null && p99 < TARGET_P99_MS;
  return `## Approval stream: delivery to 1,000 SSE subscribers

${machineLine()}
Command: \`npm run bench:approvals -- --label <name>\` (the gateway on node:http with a durable audit log in one process,
the subscribers to \`GET /approvals/stream\` in another, half with an approver's token (full view, args scrubbed) and half
without (summary); this process sends ${WARMUP_CALLS} warm-up calls, then each row's held tool calls on a fixed schedule, and times their 202s).
Delivery is from the moment a call is sent to the moment a subscriber's socket yields its \`approval.requested\` event
(\`performance.timeOrigin + performance.now()\` in both processes); "last subscriber" is when the fan-out of one event was complete.
Raw numbers: \`${RAW_PATH}\`. The load average column is the machine's 1-minute load when the run began: the machine is shared.

| run | code | load | subscribers | calls × apart | events delivered | delivery p50 / p99 / max (ms) | last subscriber p50 / p99 (ms) | caller's 202 p50 / p99 (ms) |
|---|---|---:|---:|---:|---:|---:|---:|---:|
${runs.map(row).join('\n')}

Target: p99 delivery under ${TARGET_P99_MS} ms at 1,000 subscribers, every event delivered: ${met ? 'met' : 'missed'} (run "${latest.label}": ${figure(p99)} ms).`;
}

const previous = await readFile(resolve(root, RAW_PATH), 'utf8').then(
  (text) => (JSON.parse(text) as { runs?: RunFigures[] }).runs ?? [],
  () => [] as RunFigures[],
);
const figures = flags['render-only'] ? (previous.find((r) => r.label === flags.label) ?? previous.at(-1)) : await run();
if (figures === undefined) throw new Error(`no runs stored in ${RAW_PATH} to render`);
// A label measured again keeps its row's place.
const runs = previous.some((r) => r.label === figures.label) ? previous.map((r) => (r.label === figures.label ? figures : r)) : [...previous, figures];
console.log(JSON.stringify(figures, null, 2));
await writeBenchmarkSection('approval-stream', section(runs, figures), { runs }, RAW_PATH);
