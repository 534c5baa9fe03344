import { policyToolOf } from '@agent-gateway/core';
import { describe, expect, it } from 'vitest';
import { admin, alice, bob, carol, EXAMPLE_POLICIES, policyGateway, rejection } from './support.js';

/** 2026-11-30 was a Monday. */
const MONDAY_10_UTC = Date.parse('2026-11-30T10:00:00Z');
const MONDAY_20_UTC = Date.parse('2026-11-30T20:00:00Z');
const SATURDAY_10_UTC = Date.parse('2026-11-28T10:00:00Z');

describe('the example policies of docs/policies.md', () => {
  it('file.write: allowed under /tmp/agent, denied elsewhere and when climbing out, naming the policy', async () => {
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES });
    const ok = await gateway.callTool({ tool: 'file.write', args: { path: '/tmp/agent/notes.txt', content: 'x' } }, { caller: alice });
    expect(ok).toMatchObject({ status: 'executed', result: { ran: { path: '/tmp/agent/notes.txt' } } });
    for (const path of ['/etc/passwd', '/tmp/agent/../../etc/passwd', '/tmp/agentx/file']) {
      const denied = await rejection(gateway.callTool({ tool: 'file.write', args: { path, content: 'x' } }, { caller: alice }));
      expect(denied).toMatchObject({ code: 'policy_denied', status: 403, details: { policies: ['file-write-under-tmp-agent'] } });
      expect(denied.message).toContain('"file-write-under-tmp-agent"');
    }
  });

  it('payments over 1,000 EUR wait for two approvers; 1,000 EUR or less, or another currency, runs at once', async () => {
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES });
    for (const args of [{ amount: 1000, currency: 'EUR', to: 'x' }, { amount: 999.99, currency: 'EUR', to: 'x' }, { amount: 5000, currency: 'USD', to: 'x' }]) {
      expect(await gateway.callTool({ tool: 'payments.transfer', args }, { caller: alice })).toMatchObject({ status: 'executed' });
    }
    const held = await gateway.callTool({ tool: 'payments.transfer', args: { amount: 1000.01, currency: 'EUR', to: 'x' } }, { caller: alice });
    expect(held.status).toBe('pending');
    if (held.status !== 'pending') return;
    const first = await gateway.approvals.approve(held.approvalId, bob);
    expect(first).toMatchObject({ state: 'pending', required: 2, approvals: [{ by: 'bob' }], policies: ['allow-by-default', 'payments-over-1000-eur'] });
    const second = await gateway.approvals.approve(held.approvalId, carol);
    expect(second).toMatchObject({ state: 'executed', result: { ran: { amount: 1000.01 } }, decision: { by: 'carol' } });
  });

  it('shell.exec runs in office hours and is denied outside them (an injected clock)', async () => {
    let now = MONDAY_10_UTC;
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES, now: () => now });
    expect(await gateway.callTool({ tool: 'shell.exec', args: { command: 'ls' } }, { caller: alice })).toMatchObject({ status: 'executed' });
    for (const when of [MONDAY_20_UTC, SATURDAY_10_UTC]) {
      now = when;
      const denied = await rejection(gateway.callTool({ tool: 'shell.exec', args: { command: 'ls' } }, { caller: alice }));
      expect(denied).toMatchObject({ code: 'policy_denied', details: { policies: ['shell-office-hours'] } });
    }
  });

  it('a time zone moves the window: 08:30 UTC on a Monday is 09:30 in Paris', async () => {
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES, now: () => Date.parse('2026-11-30T08:30:00Z'), timeZone: 'Europe/Paris' });
    expect(await gateway.callTool({ tool: 'shell.exec', args: { command: 'ls' } }, { caller: alice })).toMatchObject({ status: 'executed' });
  });

  it('MCP upstream tools: fs.write_file only under /srv/scratch and for admins; reads open to agents', async () => {
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES });
    expect(await gateway.callTool({ tool: 'fs.write_file', args: { path: '/srv/scratch/a', content: 'x' } }, { caller: admin })).toMatchObject({ status: 'executed' });
    expect(await gateway.callTool({ tool: 'fs.read_file', args: { path: '/etc/hosts' } }, { caller: alice })).toMatchObject({ status: 'executed' });
    expect(await rejection(gateway.callTool({ tool: 'fs.write_file', args: { path: '/etc/x', content: 'x' } }, { caller: admin }))).toMatchObject({
      code: 'policy_denied',
      details: { policies: ['fs-write-file-in-scratch'] },
    });
    expect(await rejection(gateway.callTool({ tool: 'fs.move_file', args: { from: 'a', to: 'b' } }, { caller: alice }))).toMatchObject({
      code: 'policy_denied',
      details: { policies: ['fs-writes-admins-only'] },
    });
    // Both forbids match: both are named.
    const both = await rejection(gateway.callTool({ tool: 'fs.write_file', args: { path: '/etc/x', content: 'x' } }, { caller: alice }));
    expect(both.details?.policies).toEqual(['fs-write-file-in-scratch', 'fs-writes-admins-only']);
  });

  it('fails closed: an amount past Cedar decimal range cannot be read, so the policy that reads it denies', async () => {
    const { gateway } = await policyGateway({ text: EXAMPLE_POLICIES });
    const denied = await rejection(gateway.callTool({ tool: 'payments.transfer', args: { amount: 1e20, currency: 'EUR', to: 'x' } }, { caller: alice }));
    expect(denied).toMatchObject({ code: 'policy_denied', details: { policies: ['payments-over-1000-eur'] } });
    expect(denied.message).toContain('failed to evaluate');
  });

  it('a tool whose policies in scope hold for every call is decided without evaluating them, as Cedar would decide', async () => {
    const text = `@id("open") permit (principal, action, resource);
@id("two-for-shell") @approvers("2") permit (principal, action == Action::"shell.exec", resource);
@id("writes") permit (principal, action == Action::"file.write", resource) when { context.args.path like "/tmp/*" };`;
    const { gateway, engine } = await policyGateway({ text });
    await gateway.policies.start();
    const decide = (name: string, args: unknown) => engine.decide({ caller: alice, tool: policyToolOf(gateway.tools.get(name)!), args, client: 'host' });
    expect(decide('fs.read_file', { path: '/a' })).toEqual({ effect: 'allow', policies: ['open'] });
    expect(decide('shell.exec', { command: 'ls' })).toEqual({ effect: 'approve', approvers: 2, policies: ['open', 'two-for-shell'] });
    // A condition in scope: Cedar decides, and says which permits matched.
    expect(decide('file.write', { path: '/tmp/a', content: '' })).toEqual({ effect: 'allow', policies: ['open', 'writes'] });
    expect(decide('file.write', { path: '/etc/a', content: '' })).toEqual({ effect: 'allow', policies: ['open'] });
    await engine.loadText('@id("writes") permit (principal, action == Action::"file.write", resource);');
    expect(decide('shell.exec', { command: 'ls' })).toEqual({ effect: 'deny', policies: [], reason: 'no policy permits it' });
  });

  it('with no permit that matches, a call is denied and no policy is named', async () => {
    const { gateway } = await policyGateway({ text: '@id("files-only") permit (principal, action == Action::"file.write", resource);' });
    const denied = await rejection(gateway.callTool({ tool: 'shell.exec', args: { command: 'ls' } }, { caller: alice }));
    expect(denied).toMatchObject({ code: 'policy_denied', details: { policies: [] } });
    expect(denied.message).toContain('no policy permits it');
  });

  it('every decision names its policies in the call audit entry: allowed, denied, held and the approved run', async () => {
    const { gateway, entries } = await policyGateway({ text: EXAMPLE_POLICIES });
    await gateway.callTool({ tool: 'file.write', args: { path: '/tmp/agent/a', content: 'x' } }, { caller: alice });
    await rejection(gateway.callTool({ tool: 'file.write', args: { path: '/etc/a', content: 'x' } }, { caller: alice }));
    const held = await gateway.callTool({ tool: 'payments.transfer', args: { amount: 5000, currency: 'EUR', to: 'x' } }, { caller: alice });
    if (held.status !== 'pending') throw new Error('expected a held call');
    await gateway.approvals.approve(held.approvalId, bob);
    await gateway.approvals.approve(held.approvalId, carol);
    const calls = (await entries()).map((d) => ({ tool: d.tool, outcome: d.outcome, policies: d.policies }));
    expect(calls).toEqual([
      { tool: 'file.write', outcome: 'ok', policies: ['allow-by-default'] },
      { tool: 'file.write', outcome: 'refused', policies: ['file-write-under-tmp-agent'] },
      { tool: 'payments.transfer', outcome: 'queued', policies: ['allow-by-default', 'payments-over-1000-eur'] },
      { tool: 'payments.transfer', outcome: 'ok', policies: ['allow-by-default', 'payments-over-1000-eur'] },
    ]);
  });
});
