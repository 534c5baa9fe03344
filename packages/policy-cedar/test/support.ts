import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, Gateway, silentLogger, systemCaller, type Caller } from '@agent-gateway/core';
import { onTestFinished } from 'vitest';
import { z } from 'zod';
import { cedarPolicies, type CedarPoliciesOptions } from '../src/index.js';

export const alice: Caller = { kind: 'user', id: 'alice', role: 'agent', tokenId: 'alice-jti' };
export const admin: Caller = { kind: 'user', id: 'root', role: 'admin', tokenId: 'root-jti' };
export const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };
export const carol: Caller = { kind: 'user', id: 'carol', role: 'approver' };
export const dave: Caller = { kind: 'user', id: 'dave', role: 'admin' };

/** The example policies of docs/policies.md, as the docs show them. */
export const EXAMPLE_POLICIES = `
// Everything not forbidden below is allowed.
@id("allow-by-default")
permit (principal, action, resource);

// Agents write files only under /tmp/agent, and never climb out with "..".
@id("file-write-under-tmp-agent")
forbid (principal, action == Action::"file.write", resource)
unless { context.args.path like "/tmp/agent/*" && !(context.args.path like "*..*") };

// Any payments.* call over 1,000 EUR needs two approvers.
@id("payments-over-1000-eur") @approvers("2")
permit (principal, action == Action::"payments.transfer", resource)
when { context.args.currency == "EUR" && context.args.amount.greaterThan(decimal("1000.0")) };

// Nobody runs shell.exec outside office hours (Monday to Friday, 9:00 to 18:00 UTC).
@id("shell-office-hours")
forbid (principal, action == Action::"shell.exec", resource)
unless { context.time.weekday >= 1 && context.time.weekday <= 5 && context.time.hour >= 9 && context.time.hour < 18 };

// The fs upstream's write_file only under /srv/scratch; its other writing tools for admins only.
@id("fs-write-file-in-scratch")
forbid (principal, action == Action::"fs.write_file", resource in Upstream::"fs")
unless { context.args.path like "/srv/scratch/*" };

@id("fs-writes-admins-only")
forbid (principal, action, resource in Upstream::"fs")
when { !resource.annotations.readOnly }
unless { principal.role == "admin" };
`;

/** A gateway with the example tools (each returns what it was given), audited, with the given policies. */
export async function policyGateway(options: CedarPoliciesOptions) {
  const dir = await mkdtemp(join(tmpdir(), 'policy-cedar-'));
  const audit = await AuditLog.open(join(dir, 'audit.log'));
  const engine = cedarPolicies(options);
  const gateway = new Gateway({ logger: silentLogger, audit, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } }, policy: engine });
  const echo = async (args: unknown) => ({ ran: args });
  gateway.registerTool({ name: 'file.write', description: 'write a file', args: z.object({ path: z.string(), content: z.string() }), run: echo });
  gateway.registerTool({
    name: 'payments.transfer',
    description: 'send money',
    args: z.object({ amount: z.number().positive(), currency: z.enum(['EUR', 'USD']), to: z.string() }),
    run: echo,
  });
  gateway.registerTool({ name: 'shell.exec', description: 'run a command', args: z.object({ command: z.string() }), run: echo });
  // As @agent-gateway/mcp registers an upstream's tools: `<upstream>.<tool>`, with the upstream named.
  gateway.registerTool({ name: 'fs.write_file', description: 'fs upstream', inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] }, upstream: 'fs', run: echo });
  gateway.registerTool({ name: 'fs.move_file', description: 'fs upstream', inputSchema: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } }, upstream: 'fs', run: echo });
  gateway.registerTool({ name: 'fs.read_file', description: 'fs upstream', inputSchema: { type: 'object', properties: { path: { type: 'string' } } }, upstream: 'fs', hints: { readOnly: true }, run: echo });
  // A held call runs as its caller looked up again: the callers are real users.
  for (const [username, role] of [['alice', 'agent'], ['root', 'admin']] as const) {
    await gateway.auth.createUser({ username, password: `${username}-password-long`, role }, { actor: systemCaller('test') });
  }
  onTestFinished(async () => {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });
  const entries = async (event = 'tool_call') => (await audit.tail(200)).filter((entry) => entry.event === event).map((entry) => entry.details);
  return { gateway, engine, audit, dir, entries };
}

/** The error a promise rejects with (the test fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string; status?: number; message: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; status?: number; message: string };
  }
  throw new Error('expected a rejection');
}
