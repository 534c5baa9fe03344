// One autocannon load against one server, in a process of its own, for bench/redis.ts.
//   tsx bench/redis-load.ts '{"url":"http://127.0.0.1:PORT/tools/call","token":"...","connections":10,"durationSeconds":5,"rate":1000}'
// Prints `ready` once loaded, starts on a `go` line on stdin (so several loads start together), then
// prints one JSON line: autocannon's figures plus every 2xx response time. autocannon's own latency
// histogram keeps whole milliseconds, too coarse to see the 1 ms the Redis target is about, so the
// times are taken from its `response` events (sub-millisecond) and the caller computes percentiles.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

interface Job {
  readonly url: string;
  readonly token: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second over all connections (autocannon -R); absent: as fast as it answers. */
  readonly rate?: number;
}

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly duration: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}
interface AutocannonTracker {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): void;
}
type Autocannon = (options: Record<string, unknown>, done: (error: Error | null, result: AutocannonResult) => void) => AutocannonTracker;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const job = JSON.parse(process.argv[2] ?? '{}') as Job;

// The orchestrator owns this process: when it goes (even killed), stdin ends and so does the load.
const lines = createInterface({ input: process.stdin });
lines.once('close', () => process.exit(0));
await new Promise<void>((resolveGo) => {
  lines.on('line', (line) => {
    if (line.trim() === 'go') resolveGo();
  });
  process.stdout.write('ready\n');
});

const latencies: number[] = [];
const result = await new Promise<AutocannonResult>((resolveRun, reject) => {
  const tracker = autocannon(
    {
      url: job.url,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
      body: '{"tool":"echo","args":{"text":"hello"}}',
      connections: job.connections,
      duration: job.durationSeconds,
      ...(job.rate === undefined ? {} : { overallRate: job.rate }),
    },
    (error, finished) => (error === null ? resolveRun(finished) : reject(error)),
  );
  tracker.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(Math.round(responseTimeMs * 1000) / 1000);
  });
});

process.stdout.write(
  `${JSON.stringify({
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    durationSeconds: result.duration,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    // autocannon's own figures, whole milliseconds, corrected for coordinated omission when paced.
    autocannon: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    latencies,
  })}\n`,
);
process.exit(0);
