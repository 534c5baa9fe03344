import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { recordApprovalChanges } from '../../src/audit/gateway-audit-trail.js';
import {
  AlreadyApprovedError,
  ApprovalConflictError,
  ApprovalQueue,
  AuditLog,
  SelfApprovalError,
  silentLogger,
  type ApprovalChange,
  type ApprovalStore,
  type Caller,
} from '../../src/index.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };
const carol: Caller = { kind: 'user', id: 'carol', role: 'approver' };
const dave: Caller = { kind: 'user', id: 'dave', role: 'admin' };

function quorumQueue(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}) {
  const queue = new ApprovalQueue(options);
  onTestFinished(() => queue.close());
  const runs: unknown[] = [];
  queue.setRunner(async (approval) => {
    runs.push({ args: approval.args, approvals: approval.approvals?.map((vote) => vote.by) });
    return 'ran';
  });
  const changes: ApprovalChange[] = [];
  queue.on('change', (change) => changes.push(change));
  return { queue, runs, changes };
}

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ ok: value }),
    (error: unknown) => ({ error }),
  );
}

describe('approval by a quorum of N distinct people', () => {
  it('of 3 approvers approving at once a call that needs 2, it runs exactly once, after the 2nd; the 3rd hears it is decided', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { queue, runs, changes } = quorumQueue();
      const held = await queue.request({ callId: `c${round}`, tool: 'payments.transfer', args: { round }, caller: alice, required: 2 });
      expect(held).toMatchObject({ state: 'pending', required: 2, approvals: [] });
      const results = await Promise.allSettled([queue.approve(held.id, bob), queue.approve(held.id, carol), queue.approve(held.id, dave)]);
      expect(runs).toHaveLength(1);
      const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      // One vote saw the call still pending, one completed it and ran it; the third came too late.
      expect(fulfilled.map((a) => a.state).sort()).toEqual(['executed', 'pending']);
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(ApprovalConflictError);
      const final = await queue.get(held.id);
      expect(final.state).toBe('executed');
      expect(final.approvals).toHaveLength(2);
      // The run saw both approvals, and the one that completed the quorum is the decision.
      expect(runs[0]).toMatchObject({ args: { round } });
      expect((runs[0] as { approvals: string[] }).approvals).toHaveLength(2);
      expect(final.decision?.by).toBe(final.approvals?.[1]?.by);
      expect(changes.map((c) => c.type)).toEqual(['approval.requested', 'approval.progress', 'approval.approved', 'approval.executed']);
    }
  });

  it('answers the first approval with the progress, still pending', async () => {
    const { queue, runs } = quorumQueue();
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 3 });
    const first = await queue.approve(held.id, bob, 'looks fine');
    expect(first).toMatchObject({ state: 'pending', required: 3, approvals: [{ by: 'bob', reason: 'looks fine' }] });
    expect(first.decision).toBeUndefined();
    const second = await queue.approve(held.id, carol);
    expect(second.approvals?.map((vote) => vote.by)).toEqual(['bob', 'carol']);
    expect(runs).toEqual([]);
    expect((await queue.approve(held.id, dave)).state).toBe('executed');
    expect(runs).toHaveLength(1);
  });

  it('a reject after one approval ends the call; it never runs, and later approvals are refused', async () => {
    const { queue, runs } = quorumQueue();
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    await queue.approve(held.id, bob);
    const rejected = await queue.reject(held.id, carol, 'too much');
    expect(rejected).toMatchObject({ state: 'rejected', decision: { by: 'carol', reason: 'too much' }, approvals: [{ by: 'bob' }] });
    expect(await outcome(queue.approve(held.id, dave))).toMatchObject({ error: expect.any(ApprovalConflictError) });
    expect(runs).toEqual([]);
  });

  it('an approver who approved may still change their mind and reject: the call ends and never runs', async () => {
    const { queue, runs } = quorumQueue();
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    await queue.approve(held.id, bob);
    const rejected = await queue.reject(held.id, bob, 'second thoughts');
    expect(rejected).toMatchObject({ state: 'rejected', decision: { by: 'bob', reason: 'second thoughts' }, approvals: [{ by: 'bob' }] });
    expect(runs).toEqual([]);
  });

  it("the caller's own approval never counts, even where self-approval is allowed", async () => {
    const { queue } = quorumQueue({ allowSelfApproval: true });
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    expect(await outcome(queue.approve(held.id, { ...alice, role: 'admin' }))).toMatchObject({ error: expect.any(SelfApprovalError) });
    // Another spelling of the same name is the same person.
    expect(await outcome(queue.approve(held.id, { kind: 'user', id: 'ALICE', role: 'admin' }))).toMatchObject({ error: expect.any(SelfApprovalError) });
    expect((await queue.get(held.id)).approvals).toEqual([]);
  });

  it('nobody approves twice, not even concurrently or under another spelling of their name', async () => {
    const { queue, runs } = quorumQueue();
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    const twice = await Promise.allSettled([queue.approve(held.id, bob), queue.approve(held.id, bob), queue.approve(held.id, { ...bob, id: 'BOB' })]);
    expect(twice.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of twice) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyApprovedError);
    expect(await queue.get(held.id)).toMatchObject({ state: 'pending', approvals: [{ by: 'bob' }] });
    expect(runs).toEqual([]);
  });

  it('refuses a quorum outside 1..10, and one the store cannot count', async () => {
    const { queue } = quorumQueue();
    await expect(queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 11 })).rejects.toThrow(RangeError);
    await expect(queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 0 })).rejects.toThrow(RangeError);
    const store: ApprovalStore = {
      insert: async () => undefined,
      get: async () => undefined,
      list: async () => [],
      transition: async () => ({ ok: false, current: undefined }),
      prune: async () => 0,
    };
    const plain = new ApprovalQueue({ store });
    onTestFinished(() => plain.close());
    await expect(plain.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 })).rejects.toThrow(/cannot count several approvers/);
  });

  it('audits each approval of a quorum with the count so far', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quorum-audit-'));
    const log = await AuditLog.open(join(dir, 'audit.log'));
    onTestFinished(async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    });
    const { queue } = quorumQueue();
    recordApprovalChanges(queue, log, silentLogger, (args) => args);
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    await queue.approve(held.id, bob);
    await queue.approve(held.id, carol);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const decided = (await log.tail(20)).filter((e) => e.event === 'approval_decided').map((e) => ({ user: e.actor.type === 'user' ? e.actor.user : '', ...e.details }));
    expect(decided).toMatchObject([
      { user: 'bob', decision: 'approved', approvals: 1, required: 2 },
      { user: 'carol', decision: 'approved', approvals: 2, required: 2 },
    ]);
  });
});
