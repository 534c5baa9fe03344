// Bytes allocated per tool call, and where: V8's sampling heap profiler with collected objects included,
// over 30,000 calls at 100 connections (after 20,000 to warm up). The gateway runs in this process,
// autocannon in a child.
//   npm run bench:alloc              (`npm run bench:alloc -- health` for GET /health)
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Fastify from 'fastify';
import { z } from 'zod';
import { AuditLog, Gateway, systemCaller } from '@agent-gateway/core';
import { gatewayPlugin } from '@agent-gateway/fastify';

const CALLS = 30_000;
const autocannonBin = resolve(import.meta.dirname, '../node_modules/.bin/autocannon');

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const dir = await mkdtemp(join(tmpdir(), 'bench-alloc-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const gateway = new Gateway({
  audit: await AuditLog.open(join(dir, 'audit.log')),
  rateLimits: { global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } },
  auth: { passwordHashing: { logN: 10, r: 8, p: 1 }, accessTtlSeconds: 3600 },
});
gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
await gateway.auth.createUser({ username: 'bench', password: 'bench-password', role: 'agent' }, { actor: systemCaller('bench') });
const { accessToken } = await gateway.auth.login('bench', 'bench-password', { address: 'bench' });
const app = Fastify();
await app.register(gatewayPlugin, { gateway });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

const target =
  process.argv[2] === 'health'
    ? [`${base}/health`]
    : ['-m', 'POST', '-H', 'content-type=application/json', '-H', `authorization=Bearer ${accessToken}`, '-b', '{"tool":"echo","args":{"text":"hello"}}', `${base}/tools/call`];
const load = (calls: number): Promise<unknown> =>
  new Promise((done) => spawn(autocannonBin, ['-c', '100', '-a', String(calls), ...target], { stdio: 'ignore' }).once('exit', done));

await load(20_000);
const session = new Session();
session.connect();
// Both flags keep what the GC already took: garbage per call is what is being measured.
await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as object);
await load(CALLS);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };

const bySite = new Map<string, number>();
let total = 0;
const frameName = (node: ProfileNode): string => `${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`;
const walk = (node: ProfileNode, parent: string): void => {
  const where = node.callFrame.url.replace(/.*\/(node_modules|packages)\//, '$1/');
  const key = `${frameName(node)} ${where}  <- ${parent}`;
  bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
  total += node.selfSize;
  for (const child of node.children) walk(child, frameName(node));
};
walk(profile.head, '');
console.log(`~${Math.round(total / CALLS).toLocaleString('en-US')} bytes allocated per call (sampled, ${CALLS.toLocaleString('en-US')} calls)`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${String(Math.round(bytes / CALLS)).padStart(6)} B/call  ${site}`);
await app.close();
await gateway.close();
process.exit(0);
