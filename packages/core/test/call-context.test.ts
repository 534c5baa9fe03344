import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditLog, Gateway, silentLogger, systemCaller, type AuditEntry, type Caller, type GatewayRequest } from '../src/index.js';
import { mayCallTool } from '../src/http/public.js';
import { authorizeTool } from '../src/pipeline/authorize-tool.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function auditedGateway(): Promise<{ gateway: Gateway; entries: () => Promise<AuditEntry[]> }> {
  const dir = await mkdtemp(join(tmpdir(), 'call-context-'));
  dirs.push(dir);
  const path = join(dir, 'audit.log');
  const gateway = new Gateway({ logger: silentLogger, audit: await AuditLog.open(path), auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } });
  gateway.registerTool({ name: 'echo', description: 'echo', args: z.object({ text: z.string() }), run: ({ text }) => ({ text }) });
  gateway.registerTool({ name: 'risky', description: 'held', args: z.object({}), requiresApproval: true, run: () => 'done' });
  const entries = async (): Promise<AuditEntry[]> =>
    (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry).filter((entry) => entry.event === 'tool_call');
  return { gateway, entries };
}

describe('how a call came in, in its audit entries', () => {
  it('writes via and the client, and nothing else a host slipped into the context', async () => {
    const { gateway, entries } = await auditedGateway();
    const context = { via: 'mcp', client: { name: 'claude-code', version: '1.2.3' }, extra: 'dropped' };
    await gateway.callTool({ tool: 'echo', args: { text: 'a' } }, { caller: systemCaller('t'), context });
    await gateway.callTool({ tool: 'echo', args: { text: 1 } }, { caller: systemCaller('t'), context }).catch(() => undefined);
    await gateway.callTool({ tool: 'echo', args: { text: 'b' } }, { caller: systemCaller('t') });
    const [ok, refused, plain] = await entries();
    expect(ok?.details).toMatchObject({ via: 'mcp', client: { name: 'claude-code', version: '1.2.3' }, outcome: 'ok' });
    expect(ok?.details).not.toHaveProperty('extra');
    expect(refused?.details).toMatchObject({ via: 'mcp', client: { name: 'claude-code' }, outcome: 'refused' });
    expect(plain?.details).not.toHaveProperty('via');
    expect(plain?.details).not.toHaveProperty('client');
    await gateway.close();
  });

  it('carries the context through an approval to the approved run', async () => {
    const { gateway, entries } = await auditedGateway();
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    const caller = await gateway.auth.callerFor('agent');
    const outcome = await gateway.callTool({ tool: 'risky', args: {} }, { caller, context: { via: 'mcp', client: { name: 'c', version: '1' } } });
    expect(outcome.status).toBe('pending');
    if (outcome.status !== 'pending') return;
    await gateway.approvals.approve(outcome.approvalId, systemCaller('approver'));
    const calls = await entries();
    expect(calls.map((entry) => [entry.details.outcome, entry.details.via, entry.details.call_id])).toEqual([
      ['queued', 'mcp', outcome.callId],
      ['ok', 'mcp', outcome.callId],
    ]);
    await gateway.close();
  });

  it('POST /tools/call says via http', async () => {
    const { gateway, entries } = await auditedGateway();
    await gateway.auth.createUser({ username: 'agent', password: 'agent-password', role: 'agent' }, { actor: systemCaller('test') });
    const token = (await gateway.auth.login('agent', 'agent-password', { address: 'test' })).accessToken;
    const body = Buffer.from('{"tool":"echo","args":{"text":"hi"}}');
    const request: GatewayRequest = {
      method: 'POST',
      url: '/tools/call',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: { kind: 'stream', stream: (async function* () { yield body; })() },
    };
    expect((await gateway.handle(request))?.status).toBe(200);
    expect((await entries()).at(-1)?.details).toMatchObject({ via: 'http', outcome: 'ok' });
    await gateway.close();
  });
});

describe('tool hints and result schemas in the listing', () => {
  it('lists them when a tool declares them, and a plain tool as before', () => {
    const gateway = new Gateway({ logger: silentLogger });
    gateway.registerTool({
      name: 'lookup',
      description: 'reads',
      args: z.object({ id: z.string() }),
      output: z.object({ name: z.string() }),
      hints: { readOnly: true, title: 'Look up' },
      run: () => ({ name: 'x' }),
    });
    gateway.registerTool({ name: 'plain', description: 'p', args: z.object({}), run: () => 1 });
    const [lookup, plain] = gateway.tools.list();
    expect(lookup).toMatchObject({ hints: { readOnly: true, title: 'Look up' }, result_schema: { type: 'object', required: ['name'] } });
    expect(Object.keys(plain ?? {}).sort()).toEqual(['args_schema', 'description', 'name', 'requires_approval']);
  });

  it('refuses an output that is not a Standard Schema (a JSON Schema goes in outputJsonSchema)', () => {
    const gateway = new Gateway({ logger: silentLogger });
    const output = { type: 'object' } as unknown as z.ZodType;
    expect(() => gateway.registerTool({ name: 'bad', description: 'b', args: z.object({}), output, run: () => 1 })).toThrow(/output must be a Standard Schema/);
  });
});

describe('mayCallTool', () => {
  it('agrees with the pipeline step for every kind of caller', () => {
    const gateway = new Gateway({ logger: silentLogger }).registerTool({ name: 'echo', description: 'e', args: z.object({}), run: () => 1 });
    const tool = gateway.tools.get('echo');
    if (tool === undefined) throw new Error('no tool');
    const callers: Caller[] = [
      systemCaller('host'),
      { kind: 'user', id: 'a', role: 'agent' },
      { kind: 'user', id: 'b', role: 'agent', allowedTools: ['other.*'] },
      { kind: 'user', id: 'c', role: 'agent', allowedTools: ['ech*'] },
      { kind: 'user', id: 'd', role: 'approver' },
      { kind: 'user', id: 'e' },
    ];
    for (const caller of callers) {
      const allowed = (() => {
        try {
          authorizeTool(caller, tool);
          return true;
        } catch {
          return false;
        }
      })();
      expect(mayCallTool(caller, 'echo'), caller.id).toBe(allowed);
    }
    expect(callers.map((caller) => mayCallTool(caller, 'echo'))).toEqual([true, true, false, true, false, false]);
  });
});
