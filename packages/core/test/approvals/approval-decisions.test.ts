import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { recordApprovalChanges } from '../../src/audit/gateway-audit-trail.js';
import { MemoryApprovalStore, type TransitionResult } from '../../src/approvals/approval-store.js';
import { digestOf, type Approval, type ApprovalState } from '../../src/approvals/approval.js';
import { ApprovalConflictError, ApprovalQueue, AuditLog, silentLogger, type Caller } from '../../src/index.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent', tokenId: 'alice-jti' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver', tokenId: 'bob-jti' };
const carol: Caller = { kind: 'user', id: 'carol', role: 'admin' };

function queueWithRunner(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}) {
  const queue = new ApprovalQueue(options);
  onTestFinished(() => queue.close());
  const runs: unknown[] = [];
  queue.setRunner(async (approval) => {
    runs.push(approval.args);
    return { ran: approval.args };
  });
  return { queue, runs };
}

async function auditedQueue(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'approval-audit-'));
  const log = await AuditLog.open(join(dir, 'audit.log'));
  onTestFinished(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });
  const { queue, runs } = queueWithRunner(options);
  recordApprovalChanges(queue, log, silentLogger, (args) => ({ redacted: args }));
  const entries = async () => (await log.tail(50)).map(({ event, actor, details }) => ({ event, actor, details }));
  return { queue, runs, entries };
}

describe('approval decisions', () => {
  it('of an approve and a reject racing on one approval, exactly one wins; the call runs only if approve won', async () => {
    for (let round = 0; round < 20; round += 1) {
      const { queue, runs } = queueWithRunner();
      const held = await queue.request({ callId: `c${round}`, tool: 't', args: { round }, caller: alice });
      const [approved, rejected] = await Promise.allSettled([queue.approve(held.id, bob), queue.reject(held.id, carol, 'no')]);
      const winners = [approved, rejected].filter((result) => result.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const loser = [approved, rejected].find((result) => result.status === 'rejected');
      expect(loser?.status === 'rejected' ? loser.reason : undefined).toBeInstanceOf(ApprovalConflictError);
      const final = await queue.get(held.id);
      if (approved.status === 'fulfilled') {
        expect(final).toMatchObject({ state: 'executed', decision: { by: 'bob' } });
        expect(runs).toEqual([{ round }]);
      } else {
        expect(final).toMatchObject({ state: 'rejected', decision: { by: 'carol', reason: 'no' } });
        expect(runs).toEqual([]);
      }
    }
  });

  it('two approvals racing run the call once; the loser hears which state won', async () => {
    const { queue, runs } = queueWithRunner();
    const held = await queue.request({ callId: 'c', tool: 't', args: { n: 1 }, caller: alice });
    const results = await Promise.allSettled([queue.approve(held.id, bob), queue.approve(held.id, carol)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = results.find((result) => result.status === 'rejected');
    expect(loser?.status === 'rejected' ? loser.reason : undefined).toMatchObject({ status: 409, code: 'approval_not_pending' });
    expect(runs).toEqual([{ n: 1 }]);
  });

  it('a decision on a decided, expired or unknown approval is refused, and its caller may not decide it', async () => {
    vi.useFakeTimers();
    onTestFinished(() => void vi.useRealTimers());
    const { queue, runs } = queueWithRunner({ timeoutMs: 1000 });
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await expect(queue.approve(held.id, alice)).rejects.toMatchObject({ code: 'self_approval', status: 403 });
    // The same person under another spelling of the name.
    await expect(queue.reject(held.id, { ...alice, id: 'ALICE' })).rejects.toMatchObject({ code: 'self_approval' });
    await queue.reject(held.id, bob);
    await expect(queue.approve(held.id, bob)).rejects.toMatchObject({ code: 'approval_not_pending', details: { state: 'rejected' } });
    const late = await queue.request({ callId: 'c2', tool: 't', args: {}, caller: alice });
    await vi.advanceTimersByTimeAsync(1001);
    await expect(queue.approve(late.id, bob)).rejects.toMatchObject({ code: 'approval_not_pending', details: { state: 'expired' } });
    await expect(queue.reject('no-such-id', bob)).rejects.toMatchObject({ status: 404 });
    expect(runs).toEqual([]);
  });

  it('the audit log names the decider of approval_decided, the caller of approval_requested, and the approval each is about', async () => {
    const { queue, entries } = await auditedQueue({ timeoutMs: 60_000 });
    const first = await queue.request({ callId: 'call-1', tool: 'files.delete', args: { path: '/tmp/x' }, caller: alice, origin: 'http' });
    const second = await queue.request({ callId: 'call-2', tool: 'files.delete', args: { path: '/tmp/y' }, caller: alice });
    await queue.approve(first.id, bob, 'looks fine');
    await queue.reject(second.id, carol);
    const aliceActor = { type: 'user', user: 'alice', role: 'agent', jti: 'alice-jti' };
    await expect.poll(async () => (await entries()).length).toBe(4);
    expect(await entries()).toEqual([
      {
        event: 'approval_requested',
        actor: aliceActor,
        details: {
          approval_id: first.id,
          call_id: 'call-1',
          tool: 'files.delete',
          args: { redacted: { path: '/tmp/x' } },
          origin: 'http',
          args_digest: first.digest,
          expires_at: first.expiresAt,
        },
      },
      {
        event: 'approval_requested',
        actor: aliceActor,
        details: {
          approval_id: second.id,
          call_id: 'call-2',
          tool: 'files.delete',
          args: { redacted: { path: '/tmp/y' } },
          args_digest: second.digest,
          expires_at: second.expiresAt,
        },
      },
      {
        event: 'approval_decided',
        actor: { type: 'user', user: 'bob', role: 'approver', jti: 'bob-jti' },
        details: { approval_id: first.id, call_id: 'call-1', tool: 'files.delete', decision: 'approved', reason: 'looks fine' },
      },
      {
        event: 'approval_decided',
        actor: { type: 'user', user: 'carol', role: 'admin' },
        details: { approval_id: second.id, call_id: 'call-2', tool: 'files.delete', decision: 'rejected' },
      },
    ]);
  });

  it('an expiry is audited as the system, about that approval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => void vi.useRealTimers());
    const { queue, entries } = await auditedQueue({ timeoutMs: 1000 });
    const held = await queue.request({ callId: 'call-3', tool: 't', args: {}, caller: alice });
    await vi.advanceTimersByTimeAsync(1001);
    vi.useRealTimers();
    await expect.poll(async () => (await entries()).length).toBe(2);
    expect((await entries())[1]).toEqual({ event: 'approval_expired', actor: { type: 'system', name: 'approvals' }, details: { approval_id: held.id, call_id: 'call-3', tool: 't' } });
  });

  describe('the digest binds an approval to the exact call', () => {
    /** A shared store someone edits between the decider's look at a held call and the decision landing. */
    class EditedInFlight extends MemoryApprovalStore {
      edit: ((approval: Approval) => Approval) | undefined;
      override async transition(id: string, from: readonly ApprovalState[], patch: Partial<Approval>): Promise<TransitionResult> {
        const result = await super.transition(id, from, patch);
        const edit = this.edit;
        if (!result.ok || edit === undefined || patch.state !== 'approved') return result;
        this.edit = undefined;
        return { ok: true, approval: edit(result.approval) };
      }
    }

    it.each([
      ['args changed', (a: Approval): Approval => ({ ...a, args: { path: '/etc/passwd' } })],
      ['tool changed', (a: Approval): Approval => ({ ...a, tool: 'files.wipe' })],
      ['args and their digest changed together', (a: Approval): Approval => ({ ...a, args: { path: '/etc/passwd' }, digest: digestOf(a.tool, { path: '/etc/passwd' }) })],
      ['only the digest changed', (a: Approval): Approval => ({ ...a, digest: digestOf(a.tool, { other: true }) })],
    ])('%s after it was requested: the approval fails with digest_mismatch and nothing runs', async (_, edit) => {
      const store = new EditedInFlight();
      const { queue, runs } = queueWithRunner({ store });
      const held = await queue.request({ callId: 'c', tool: 'files.delete', args: { path: '/tmp/x' }, caller: alice });
      expect(held.digest).toBe(digestOf('files.delete', { path: '/tmp/x' }));
      store.edit = edit;
      await expect(queue.approve(held.id, bob)).rejects.toMatchObject({ code: 'digest_mismatch', status: 409 });
      expect(runs).toEqual([]);
      expect(await queue.get(held.id)).toMatchObject({ state: 'failed', error: { code: 'digest_mismatch', message: 'the held call changed after it was requested', status: 409 } });
    });

    it('an unedited approval runs with the args that were requested', async () => {
      const { queue, runs } = queueWithRunner({ store: new EditedInFlight() });
      const held = await queue.request({ callId: 'c', tool: 'files.delete', args: { path: '/tmp/x' }, caller: alice });
      await expect(queue.approve(held.id, bob)).resolves.toMatchObject({ state: 'executed', result: { ran: { path: '/tmp/x' } } });
      expect(runs).toEqual([{ path: '/tmp/x' }]);
    });
  });
});
