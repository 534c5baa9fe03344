import { describe, expect, it } from 'vitest';
import type { Approval, ApprovalDecision } from '../../src/approvals/approval.js';
import { castVote } from '../../src/approvals/approval-quorum.js';
import { hasApproved, MemoryApprovalStore, type ApprovalStore } from '../../src/approvals/approval-store.js';

// The embedded approval store's contract on its own (issue 24: approval-store.ts was unmeasured): the
// compare-and-set every decision goes through, the vote count of a quorum, and which approvals a prune
// may forget. The Redis store has the same contract and its own tests.

const decision = (by: string, at = '2026-01-01T00:00:00.000Z'): ApprovalDecision => ({ by, at });

function approval(id: string, extra: Partial<Approval> = {}): Approval {
  return {
    id,
    callId: `call-${id}`,
    tool: 't',
    args: {},
    digest: 'd',
    caller: { kind: 'user', id: 'alice', role: 'agent' },
    state: 'pending',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:05:00.000Z',
    ...extra,
  };
}

describe('MemoryApprovalStore', () => {
  it('refuses a second approval under an id already stored, keeping the first', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a', { tool: 'first' }));
    await expect(store.insert(approval('a', { tool: 'second' }))).rejects.toThrow('approval a exists');
    expect((await store.get('a'))?.tool).toBe('first');
  });

  it('lists all, or those in one state', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a'));
    await store.insert(approval('b', { state: 'rejected' }));
    expect((await store.list()).map((a) => a.id).sort()).toEqual(['a', 'b']);
    expect((await store.list({ state: 'rejected' })).map((a) => a.id)).toEqual(['b']);
    expect(await store.list({ state: 'executed' })).toEqual([]);
  });

  it('transition: only from one of the given states, never changing the id; otherwise the current approval back', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a'));
    const moved = await store.transition('a', ['pending'], { state: 'approved', decision: decision('bob'), id: 'other' });
    expect(moved).toMatchObject({ ok: true, approval: { id: 'a', state: 'approved', decision: { by: 'bob' } } });
    expect(await store.get('other')).toBeUndefined();
    const refused = await store.transition('a', ['pending', 'expired'], { state: 'rejected' });
    expect(refused).toMatchObject({ ok: false, current: { state: 'approved' } });
    expect((await store.get('a'))?.state).toBe('approved');
    expect(await store.transition('missing', ['pending'], { state: 'approved' })).toEqual({ ok: false, current: undefined });
  });

  it('addApproval: counts distinct voters, completes at the required number with the completing vote as the decision', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a', { required: 2 }));
    const first = await store.addApproval('a', { voter: 'bob', decision: decision('Bob') }, 2);
    expect(first).toMatchObject({ ok: true, approval: { state: 'pending', approvals: [{ by: 'Bob' }] } });
    expect(first.ok && first.approval.decision).toBeFalsy();
    // The same person under another spelling of their name is the same voter.
    expect(await store.addApproval('a', { voter: 'bob', decision: decision('BOB') }, 2)).toMatchObject({ ok: false, duplicate: true, current: { state: 'pending' } });
    const second = await store.addApproval('a', { voter: 'carol', decision: decision('carol', '2026-01-01T00:01:00.000Z') }, 2);
    expect(second).toMatchObject({ ok: true, approval: { state: 'approved', decision: { by: 'carol' }, approvals: [{ by: 'Bob' }, { by: 'carol' }] } });
    // Decided: no further vote is counted, and it is not a duplicate either.
    const late = await store.addApproval('a', { voter: 'dave', decision: decision('dave') }, 2);
    expect(late).toEqual({ ok: false, current: expect.objectContaining({ state: 'approved' }) });
    expect(await store.addApproval('missing', { voter: 'dave', decision: decision('dave') }, 2)).toEqual({ ok: false, current: undefined });
  });

  it('addApproval with one required approves at the first vote', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a'));
    expect(await store.addApproval('a', { voter: 'bob', decision: decision('bob') }, 1)).toMatchObject({ ok: true, approval: { state: 'approved' } });
  });

  it('prune forgets finished approvals decided (or expiring) before the cut-off, never pending or approved ones', async () => {
    const store = new MemoryApprovalStore();
    const old = '2026-01-01T00:00:00.000Z';
    const cut = Date.parse('2026-01-02T00:00:00.000Z');
    await store.insert(approval('executed-old', { state: 'executed', decision: decision('bob', old) }));
    await store.insert(approval('rejected-old', { state: 'rejected', decision: decision('bob', old) }));
    await store.insert(approval('failed-old', { state: 'failed', decision: decision('bob', old) }));
    await store.insert(approval('expired-old', { state: 'expired', expiresAt: old }));
    await store.insert(approval('rejected-at-cut', { state: 'rejected', decision: decision('bob', '2026-01-02T00:00:00.000Z') }));
    await store.insert(approval('rejected-new', { state: 'rejected', decision: decision('bob', '2026-01-03T00:00:00.000Z') }));
    // Decided recently though created long ago: the decision's time is what counts.
    await store.insert(approval('rejected-late', { state: 'rejected', expiresAt: old, decision: decision('bob', '2026-01-03T00:00:00.000Z') }));
    await store.insert(approval('pending-old', { expiresAt: old }));
    await store.insert(approval('approved-old', { state: 'approved', decision: decision('bob', old) }));
    expect(await store.prune(cut)).toBe(4);
    expect((await store.list()).map((a) => a.id).sort()).toEqual(['approved-old', 'pending-old', 'rejected-at-cut', 'rejected-late', 'rejected-new']);
    expect(await store.prune(cut)).toBe(0);
  });
});

describe('hasApproved', () => {
  it('compares voters by their normalised name; no approvals is no vote', () => {
    expect(hasApproved(approval('a', { approvals: [decision('Bob')] }), 'bob')).toBe(true);
    expect(hasApproved(approval('a', { approvals: [decision('Bob')] }), 'carol')).toBe(false);
    expect(hasApproved(approval('a'), 'bob')).toBe(false);
  });
});

describe('castVote', () => {
  const bob = { kind: 'user', id: 'Bob', role: 'approver' } as const;

  it('counts the vote under the normalised name of the voter', async () => {
    const store = new MemoryApprovalStore();
    await store.insert(approval('a', { required: 2 }));
    await castVote(store, 'a', bob, decision('Bob'), 2);
    expect(hasApproved((await store.get('a')) ?? approval('x'), 'bob')).toBe(true);
  });

  it('an approval gone before the vote (pruned, or never there) is a 404, not a crash', async () => {
    await expect(castVote(new MemoryApprovalStore(), 'gone', bob, decision('bob'), 2)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('a store that cannot count several approvers is refused by name', async () => {
    const store: ApprovalStore = { insert: async () => undefined, get: async () => undefined, list: async () => [], transition: async () => ({ ok: false, current: undefined }), prune: async () => 0 };
    await expect(castVote(store, 'a', bob, decision('bob'), 2)).rejects.toThrow(new TypeError('this approval store cannot count several approvers (no addApproval)'));
  });
});
