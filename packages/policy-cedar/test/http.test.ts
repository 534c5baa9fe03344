import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listenOnLoopback } from '@agent-gateway/conformance';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EXAMPLE_POLICIES, policyGateway } from './support.js';

/** A gateway with the example policies in a watched file, served on loopback, and a token per user. */
async function served(options: { watch?: boolean } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'policy-file-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'policies.cedar');
  await writeFile(file, EXAMPLE_POLICIES);
  const setup = await policyGateway({ file, watch: options.watch ?? false });
  const { gateway } = setup;
  for (const [username, role] of [['bob', 'approver'], ['carol', 'approver']] as const) {
    await gateway.auth.createUser({ username, password: `${username}-password-long`, role }, { actor: { kind: 'system', id: 'test' } });
  }
  await gateway.policies.start();
  const server = await listenOnLoopback(gateway.nodeListener());
  onTestFinished(() => server.close());
  const tokens: Record<string, string> = {};
  for (const user of ['alice', 'bob', 'carol', 'root']) tokens[user] = (await gateway.auth.login(user, `${user}-password-long`, { address: '127.0.0.1' })).accessToken;
  const call = async (user: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[user]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  return { ...setup, file, server, tokens, call };
}

/** Reads SSE events from the stream until `count` have arrived. */
async function events(url: string, token: string, count: number, ready: () => Promise<void>): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const seen: { event: string; data: Record<string, unknown> }[] = [];
  let buffer = '';
  const started = ready();
  while (seen.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) seen.push({ event, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  await started;
  controller.abort();
  return seen;
}

describe('policies over HTTP (loopback)', () => {
  it('a payment over 1,000 EUR: held, the caller cannot approve, the 1st approval answers 202 with the progress, nobody approves twice, the 2nd runs it; SSE shows each step', async () => {
    const { call, server, tokens } = await served();
    let approvalId = '';
    const stream = events(`${server.baseUrl}/approvals/stream`, tokens.root!, 4, async () => {
      const held = await call('alice', 'POST', '/tools/call', { tool: 'payments.transfer', args: { amount: 2500, currency: 'EUR', to: 'acme' } });
      expect(held.status).toBe(202);
      approvalId = String(held.body.approval_id);
      expect(await call('alice', 'POST', `/approvals/${approvalId}/approve`)).toMatchObject({ status: 403 });
      const first = await call('bob', 'POST', `/approvals/${approvalId}/approve`, { reason: 'checked the invoice' });
      expect(first).toMatchObject({ status: 202, body: { state: 'pending', required: 2, approvals: [{ by: 'bob', reason: 'checked the invoice' }] } });
      expect(await call('bob', 'POST', `/approvals/${approvalId}/approve`)).toMatchObject({ status: 409, body: { error: { code: 'already_approved' } } });
      const second = await call('carol', 'POST', `/approvals/${approvalId}/approve`);
      expect(second).toMatchObject({ status: 200, body: { state: 'executed', decided_by: 'carol', required: 2, result: { ran: { amount: 2500 } } } });
      expect((second.body.approvals as unknown[]).length).toBe(2);
    });
    const seen = await stream;
    expect(seen.map((e) => e.event)).toEqual(['approval.requested', 'approval.progress', 'approval.approved', 'approval.executed']);
    expect(seen[1]!.data).toMatchObject({ id: approvalId, state: 'pending', required: 2, approvals: [{ by: 'bob' }] });
  });

  it('a denied call answers 403 policy_denied naming the policy', async () => {
    const { call } = await served();
    const denied = await call('alice', 'POST', '/tools/call', { tool: 'file.write', args: { path: '/etc/passwd', content: 'x' } });
    expect(denied).toMatchObject({ status: 403, body: { error: { code: 'policy_denied', details: { policies: ['file-write-under-tmp-agent'] } } } });
  });

  it('POST /admin/policies/reload: an invalid set is refused with 422 naming the policy, the previous set keeps serving; a valid one replaces it', async () => {
    const { call, file, entries } = await served();
    const before = await call('root', 'GET', '/admin/policies');
    expect(before).toMatchObject({ status: 200, body: { configured: true, engine: 'cedar', current: { policies: 6 } } });
    expect(await call('alice', 'POST', '/admin/policies/reload')).toMatchObject({ status: 403 });
    await writeFile(file, '@id("typo") forbid (principal, action == Action::"file.write", resource) when { context.args.pth == "/" };\npermit (principal, action, resource);');
    const refused = await call('root', 'POST', '/admin/policies/reload');
    expect(refused).toMatchObject({ status: 422, body: { error: { code: 'invalid_policy', issues: [{ path: 'typo' }] } } });
    expect(String(refused.body.error.message)).toMatch(/pth/);
    // Still the example set: the path rule holds, the digest is the one before.
    expect(await call('alice', 'POST', '/tools/call', { tool: 'file.write', args: { path: '/etc/x', content: 'x' } })).toMatchObject({ status: 403 });
    expect((await call('root', 'GET', '/admin/policies')).body.current.digest).toBe(before.body.current.digest);
    await writeFile(file, '@id("open") permit (principal, action, resource);');
    expect(await call('root', 'POST', '/admin/policies/reload')).toMatchObject({ status: 200, body: { policies: 1 } });
    expect(await call('alice', 'POST', '/tools/call', { tool: 'file.write', args: { path: '/etc/x', content: 'x' } })).toMatchObject({ status: 200 });
    expect((await entries('policy_reloaded')).map((d) => d.outcome)).toEqual(['refused', 'ok']);
  });

  it('POST /admin/policies/check: a dry run for a caller, tool, args and time; validated like a call, audited, nothing runs', async () => {
    const { call, entries } = await served();
    const check = (body: unknown) => call('root', 'POST', '/admin/policies/check', body);
    expect(await check({ caller: { id: 'alice', role: 'agent' }, tool: 'file.write', args: { path: '/etc/x', content: '' } })).toMatchObject({
      status: 200,
      body: { decision: 'deny', policies: ['file-write-under-tmp-agent'] },
    });
    expect(await check({ caller: { id: 'alice', role: 'agent' }, tool: 'payments.transfer', args: { amount: 5000, currency: 'EUR', to: 'x' } })).toMatchObject({
      status: 200,
      body: { decision: 'approve', approvers: 2 },
    });
    expect(await check({ caller: { id: 'alice', role: 'agent' }, tool: 'shell.exec', args: { command: 'ls' }, time: '2026-11-28T10:00:00Z' })).toMatchObject({
      body: { decision: 'deny', policies: ['shell-office-hours'] },
    });
    expect(await check({ caller: { id: 'alice', role: 'agent' }, tool: 'shell.exec', args: { command: 'ls' }, time: '2026-11-30T10:00:00Z' })).toMatchObject({
      body: { decision: 'allow', policies: ['allow-by-default'] },
    });
    expect(await check({ caller: { id: 'alice' }, tool: 'file.write', args: { path: 1 } })).toMatchObject({ status: 422, body: { error: { code: 'invalid_args' } } });
    expect(await check({ caller: { id: 'alice' }, tool: 'nope', args: {} })).toMatchObject({ status: 404 });
    expect(await call('bob', 'POST', '/admin/policies/check', { caller: { id: 'x' }, tool: 'file.write', args: {} })).toMatchObject({ status: 403 });
    expect((await entries('policy_checked')).map((d) => d.decision)).toEqual(['deny', 'approve', 'deny', 'allow']);
    expect(await entries('tool_call')).toEqual([]);
  });

  it('the policy file is reloaded when it changes', async () => {
    const { call, file } = await served({ watch: true });
    expect(await call('alice', 'POST', '/tools/call', { tool: 'file.write', args: { path: '/etc/x', content: 'x' } })).toMatchObject({ status: 403 });
    await writeFile(file, '@id("open") permit (principal, action, resource);');
    let status = 403;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await call('alice', 'POST', '/tools/call', { tool: 'file.write', args: { path: '/etc/x', content: 'x' } })).status;
    }
    expect(status).toBe(200);
  });
});
