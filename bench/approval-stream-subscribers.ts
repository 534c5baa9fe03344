// The SSE clients for `bench/approval-stream.ts`, in their own process: plain node:http GETs of
// /approvals/stream, every other one with an approver's token (full view), the rest without (summary).
//   tsx bench/approval-stream-subscribers.ts <port> <approverToken> <count>
// Prints {"ready":n} once every stream has said ': connected'; on the line "report" on stdin, prints
// when each client got each approval.requested event, then exits.
import { request, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';

const [portArg, approverToken, countArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
const now = (): number => performance.timeOrigin + performance.now();

/** approval id -> when each client received its `approval.requested` event. */
const received = new Map<string, number[]>();
const perClient: number[] = new Array<number>(count).fill(0);
let connected = 0;
let failures = 0;
const ID_IN_DATA = /^data: \{"id":"([^"]+)"/m;

function onEvents(client: number, text: string, at: number): void {
  for (const event of text.split('\n\n')) {
    if (!event.includes('event: approval.requested')) continue;
    const id = ID_IN_DATA.exec(event)?.[1];
    if (id === undefined) continue;
    perClient[client] = (perClient[client] ?? 0) + 1;
    const times = received.get(id);
    if (times === undefined) received.set(id, [at]);
    else times.push(at);
  }
}

function subscribe(client: number): Promise<void> {
  const approver = client % 2 === 0;
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/approvals/stream',
      agent: false,
      headers: { accept: 'text/event-stream', ...(approver ? { authorization: `Bearer ${approverToken}` } : {}) },
    });
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream ${client}: status ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let pending = '';
      let ready = false;
      res.on('data', (chunk: string) => {
        const at = now();
        pending += chunk;
        const end = pending.lastIndexOf('\n\n');
        if (end === -1) return;
        const complete = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!ready && complete.includes(': connected')) {
          ready = true;
          connected += 1;
          resolve();
        }
        onEvents(client, complete, at);
      });
      res.once('close', () => {
        if (!ready) reject(new Error(`stream ${client} closed before connecting`));
        else failures += 1;
      });
    });
    req.end();
  });
}

// In batches, so the server's listen backlog is not what is measured.
for (let start = 0; start < count; start += 50) {
  await Promise.all(Array.from({ length: Math.min(50, count - start) }, (_, i) => subscribe(start + i)));
}
process.stdout.write(`${JSON.stringify({ ready: connected })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'report') return;
  const report = { received: Object.fromEntries(received), perClient, closedEarly: failures };
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
});
