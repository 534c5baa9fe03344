import { ApprovalConflictError, ApprovalQueue, AlreadyApprovedError, type Caller } from '@agent-gateway/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RedisApprovalStore, RedisState } from '../src/index.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const approvers: Caller[] = ['bob', 'carol', 'dave'].map((id) => ({ kind: 'user', id, role: 'approver' }));

/** Three gateway processes' queues on one Redis prefix, each with its own connection; `runs` counts runs in all. */
async function threeQueues(): Promise<{ queues: ApprovalQueue[]; stores: RedisApprovalStore[]; runs: unknown[] }> {
  const first = await testState();
  const others = [new RedisState({ url: REDIS_URL, keyPrefix: first.prefix }), new RedisState({ url: REDIS_URL, keyPrefix: first.prefix })];
  await Promise.all(others.map((state) => state.connect()));
  const stores = [first, ...others].map((state) => new RedisApprovalStore(state));
  const runs: unknown[] = [];
  const queues = stores.map((store) => {
    const queue = new ApprovalQueue({ store });
    queue.setRunner(async (approval) => {
      runs.push(approval.approvals?.map((vote) => vote.by));
      return 'ran';
    });
    return queue;
  });
  onTestFinished(async () => {
    for (const queue of queues) queue.close();
    await Promise.all(others.map((state) => state.close()));
    await first.cleanup();
  });
  return { queues, stores, runs };
}

describe.runIf(REDIS.ok)('quorum approvals on the Redis store (real Redis)', () => {
  it('3 approvers on 3 processes approving at once a call that needs 2: it runs once, after the 2nd', async () => {
    const { queues, runs } = await threeQueues();
    for (let round = 0; round < 10; round += 1) {
      runs.length = 0;
      const held = await queues[0]!.request({ callId: `c${round}`, tool: 'payments.transfer', args: { round, list: [] }, caller: alice, required: 2 });
      const results = await Promise.allSettled(approvers.map((approver, i) => queues[i]!.approve(held.id, approver)));
      expect(runs).toHaveLength(1);
      expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r.status === 'fulfilled' ? r.value.state : '')).sort()).toEqual(['executed', 'pending']);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.status === 'rejected' ? refused.reason : undefined).toBeInstanceOf(ApprovalConflictError);
      const final = await queues[1]!.get(held.id);
      expect(final).toMatchObject({ state: 'executed', required: 2 });
      expect(final.approvals).toHaveLength(2);
      // The args went through untouched: Lua never decoded them.
      expect(final.args).toStrictEqual({ round, list: [] });
      expect(await queues[2]!.list({ state: 'pending' })).toEqual([]);
    }
  });

  it('the same approver on two processes at once is counted once', async () => {
    const { queues, runs } = await threeQueues();
    const held = await queues[0]!.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    const bob = approvers[0]!;
    const results = await Promise.allSettled([queues[0]!.approve(held.id, bob), queues[1]!.approve(held.id, bob), queues[2]!.approve(held.id, { ...bob, id: 'Bob' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(AlreadyApprovedError);
    // The one vote counted is recorded as its caller spelled the name: whichever of the three won the race.
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect(await queues[2]!.get(held.id)).toMatchObject({ state: 'pending', approvals: [{ by: winner === 2 ? 'Bob' : 'bob' }] });
    expect(runs).toEqual([]);
  });

  it('a reject after one approval wins over later approvals; the call never runs', async () => {
    const { queues, runs } = await threeQueues();
    const held = await queues[0]!.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    await queues[0]!.approve(held.id, approvers[0]!);
    await queues[1]!.reject(held.id, approvers[1]!, 'no');
    await expect(queues[2]!.approve(held.id, approvers[2]!)).rejects.toBeInstanceOf(ApprovalConflictError);
    expect(await queues[2]!.get(held.id)).toMatchObject({ state: 'rejected', approvals: [{ by: 'bob' }], decision: { by: 'carol' } });
    expect(runs).toEqual([]);
  });

  it('prune drops a finished quorum approval with its voters', async () => {
    const state = await testState();
    onTestFinished(() => state.cleanup());
    const store = new RedisApprovalStore(state);
    const queue = new ApprovalQueue({ store });
    onTestFinished(() => queue.close());
    queue.setRunner(async () => 'ran');
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 2 });
    await queue.approve(held.id, approvers[0]!);
    await queue.approve(held.id, approvers[1]!);
    expect(await state.client.keys(`${state.prefix}*:v:*`)).toHaveLength(1);
    expect(await store.prune(Date.now() + 1000)).toBe(1);
    expect(await state.client.keys(`${state.prefix}*:v:*`)).toEqual([]);
  });
});
