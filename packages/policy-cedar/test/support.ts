import { readFileSync } from 'node:fs';
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

/** The example policies of docs/policies.md, read from the page: what the docs show is what is tested. */
export const EXAMPLE_POLICIES = examplesOfDocs();

function examplesOfDocs(): string {
  const page = readFileSync(new URL('../../../docs/policies.md', import.meta.url), 'utf8');
  const block = page.split('```cedar\n').slice(1).map((rest) => rest.slice(0, rest.indexOf('```'))).find((text) => text.includes('@id("allow-by-default")'));
  if (block === undefined) throw new Error('docs/policies.md has no example block');
  return block;
}

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
