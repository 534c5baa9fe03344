import { ApprovalQueue, type Approval, type ApprovalChange, type Caller } from '@agent-gateway/core';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisApprovalFeed, RedisApprovalStore, RedisState } from '../src/index.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };

interface Process {
  readonly name: string;
  readonly queue: ApprovalQueue;
  readonly state: RedisState;
  readonly changes: ApprovalChange[];
  readonly runs: unknown[];
}

/** Polls until `check` holds: waits on events from other connections without a fixed sleep. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.runIf(REDIS.ok)('ApprovalQueue over RedisApprovalStore and RedisApprovalFeed: processes share approvals (real Redis)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** `names.length` processes on one prefix, each with its own connection, store, feed and queue. */
  async function processes(names: readonly string[], options: { timeoutMs?: number } = {}): Promise<Process[]> {
    const base = await testState();
    cleanups.push(() => base.cleanup());
    return Promise.all(
      names.map(async (name) => {
        const state = new RedisState({ url: REDIS_URL, keyPrefix: base.prefix });
        await state.connect();
        const feed = new RedisApprovalFeed(state, { blockMs: 500 });
        const queue = new ApprovalQueue({ store: new RedisApprovalStore(state), feed, ...options });
        const process: Process = { name, queue, state, changes: [], runs: [] };
        queue.on('change', (change) => process.changes.push(change));
        queue.setRunner(async (approval) => {
          process.runs.push(approval.args);
          return { ranOn: name };
        });
        cleanups.push(async () => {
          queue.close();
          await state.close();
        });
        await feed.ready;
        return process;
      }),
    );
  }

  it('made on A, listed on B, approved on C: runs once on C, reaches the waiter on A and listeners on B; replay on C has the same ids', async () => {
    const [a, b, c] = await processes(['a', 'b', 'c']);
    const held = await a!.queue.request({ callId: 'call-1', tool: 'fs.delete', args: { path: '/x', list: [] }, caller: alice });
    expect((await b!.queue.list({ state: 'pending' })).map((x) => x.id)).toEqual([held.id]);
    const waiting = a!.queue.wait(held.id, 30_000);
    await until(() => b!.changes.length === 1, 'B to hear the request');

    const decided = await c!.queue.approve(held.id, bob, 'fine');
    expect(decided).toMatchObject({ state: 'executed', result: { ranOn: 'c' } });
    expect(a!.runs).toEqual([]);
    expect(b!.runs).toEqual([]);
    expect(c!.runs).toEqual([{ path: '/x', list: [] }]);
    expect(await waiting).toMatchObject({ id: held.id, state: 'executed', result: { ranOn: 'c' } });

    // Every process hears every change once, with one numbering (the SSE ids) for all of them.
    await until(() => [a!, b!, c!].every((p) => p.changes.length === 3), 'every process to hear the three changes');
    for (const p of [a!, b!, c!]) {
      expect(p.changes.map((change) => [change.seq, change.type])).toEqual([
        [1, 'approval.requested'],
        [2, 'approval.approved'],
        [3, 'approval.executed'],
      ]);
    }
    expect(b!.changes[1]?.by?.id).toBe('bob');
    // A stream client that saw id 1 on B and reconnects to C gets what it missed (what the SSE route replays).
    expect(c!.queue.changesSince(1).map((change) => [change.seq, change.type])).toEqual([
      [2, 'approval.approved'],
      [3, 'approval.executed'],
    ]);
    // Only the process that made a change owns it (its audit entry, its webhooks).
    expect(a!.changes.map((change) => change.remote === true)).toEqual([false, true, true]);
    expect(b!.changes.map((change) => change.remote === true)).toEqual([true, true, true]);
    expect(c!.changes.map((change) => change.remote === true)).toEqual([true, false, false]);
  });

  it('100 concurrent approves spread over three processes: exactly one succeeds and the call runs once', async () => {
    const all = await processes(['a', 'b', 'c']);
    const held = await all[0]!.queue.request({ callId: 'call-2', tool: 't', args: { n: 1 }, caller: alice });
    await until(() => all.every((p) => p.changes.length >= 1), 'every process to hear the request');
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => all[i % 3]!.queue.approve(held.id, bob)));
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    expect(fulfilled).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409 });
    expect(all.flatMap((p) => p.runs)).toEqual([{ n: 1 }]);
    expect((await all[1]!.queue.get(held.id)).state).toBe('executed');
  });

  it('a pending approval is expired by another process when the one that asked is gone', async () => {
    const [a, b] = await processes(['a', 'b'], { timeoutMs: 300 });
    const held = await a!.queue.request({ callId: 'call-3', tool: 't', args: {}, caller: alice });
    await until(() => b!.changes.length === 1, 'B to hear the request');
    a!.queue.close(); // A's timers stop, as if A had died
    await until(() => b!.changes.some((change) => change.type === 'approval.expired'), "B's expiry");
    expect((await b!.queue.get(held.id)).state).toBe('expired');
    expect(b!.changes.filter((change) => change.type === 'approval.expired')).toHaveLength(1);
    expect(b!.changes.at(-1)?.remote).toBeUndefined();
  });

  it('a process that starts later can replay changes made before it started', async () => {
    const [a] = await processes(['a']);
    const held = await a!.queue.request({ callId: 'call-4', tool: 't', args: {}, caller: alice });
    await a!.queue.reject(held.id, bob, 'no');
    await until(() => a!.changes.length === 2, 'A to hear its own changes');
    const state = new RedisState({ url: REDIS_URL, keyPrefix: a!.state.prefix });
    await state.connect();
    const feed = new RedisApprovalFeed(state);
    const late = new ApprovalQueue({ store: new RedisApprovalStore(state), feed });
    cleanups.push(async () => {
      late.close();
      await state.close();
    });
    await feed.ready;
    expect(late.lastSeq).toBe(2);
    expect(late.changesSince(0).map((change) => [change.seq, change.type, change.remote])).toEqual([
      [1, 'approval.requested', true],
      [2, 'approval.rejected', true],
    ]);
  });
});

describe('RedisApprovalFeed without a server', () => {
  it('publishing fails with 503 and a subscriber keeps retrying without throwing', async () => {
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    try {
      const feed = new RedisApprovalFeed(state);
      const stop = feed.subscribe({ history: () => undefined, change: () => undefined });
      const approval: Approval = { id: 'x', callId: 'c', tool: 't', args: {}, digest: 'd', caller: alice, state: 'pending', createdAt: '', expiresAt: '' };
      await expect(feed.publish({ source: 's', type: 'approval.requested', approval })).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
      stop();
    } finally {
      await state.close();
    }
  });
});
