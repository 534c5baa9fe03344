// The gateway for `bench/approval-stream.ts`, in its own process: node:http, a durable audit log and one
// tool that every call must have approved. Prints one JSON line {port, agentToken, approverToken} once listening.
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AuditLog, Gateway, systemCaller } from '@agent-gateway/core';

const auditDir = await mkdtemp(join(tmpdir(), 'bench-approval-stream-'));
const gateway = new Gateway({
  audit: await AuditLog.open(join(auditDir, 'audit.log')),
  rateLimits: { global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } },
  auth: { passwordHashing: { logN: 10, r: 8, p: 1 }, accessTtlSeconds: 3600 },
  logger: { info() {}, warn() {}, error: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f)}\n`) },
});
// Args with something for the approvers' view to scrub, as a real held call would have.
gateway.registerTool({
  name: 'deploy',
  description: 'deploy a service (held for approval)',
  args: z.object({ service: z.string(), version: z.string(), note: z.string() }),
  requiresApproval: true,
  run: ({ service }) => ({ deployed: service }),
});

async function tokenFor(username: string, role: 'agent' | 'approver'): Promise<string> {
  await gateway.auth.createUser({ username, password: `${username}-password`, role }, { actor: systemCaller('bench') });
  return (await gateway.auth.login(username, `${username}-password`, { address: 'bench' })).accessToken;
}

const agentToken = await tokenFor('bench-agent', 'agent');
const approverToken = await tokenFor('bench-approver', 'approver');
const server = createServer(gateway.nodeListener());
server.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port, agentToken, approverToken })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    void rm(auditDir, { recursive: true, force: true }).finally(() => process.exit(0));
  });
}
