import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue, MemoryApprovalStore, type ApprovalFeed, type ApprovalFeedChange, type ApprovalFeedListener, type Caller } from '../../src/index.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };

/** A feed shared by queues in one test: what the Redis feed does across processes. */
function sharedFeed(): () => ApprovalFeed {
  const listeners = new Set<ApprovalFeedListener>();
  let seq = 0;
  return () => ({
    publish: async (change) => {
      seq += 1;
      const numbered: ApprovalFeedChange = { ...change, seq };
      for (const listener of listeners) listener.change(numbered);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      listener.history([]);
      return () => listeners.delete(listener);
    },
  });
}

/**
 * An approved call whose process stops mid-run (here: a runner that never settles, on a queue that is
 * then closed) must not stay `approved` for ever: another process sharing the store closes it as
 * failed (`run_interrupted`) once the run timeout has passed, and it is never run a second time.
 */
describe('an approved call that reports no outcome', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is closed as run_interrupted by another process after the run timeout, by its timer and on read', async () => {
    vi.useFakeTimers();
    const feed = sharedFeed();
    const store = new MemoryApprovalStore();
    const dying = new ApprovalQueue({ store, feed: feed(), runTimeoutMs: 60_000 });
    const other = new ApprovalQueue({ store, feed: feed(), runTimeoutMs: 60_000 });
    let runs = 0;
    dying.setRunner(() => {
      runs += 1;
      return new Promise(() => undefined);
    });
    other.setRunner(async () => {
      runs += 1;
      return 'ran again';
    });
    const held = await dying.request({ callId: 'c1', tool: 'file.write', args: { path: '/tmp/x' }, caller: alice });
    void dying.approve(held.id, bob);
    await vi.advanceTimersByTimeAsync(0);
    dying.close();
    expect((await other.get(held.id)).state).toBe('approved');

    await vi.advanceTimersByTimeAsync(59_000);
    expect((await store.get(held.id))?.state).toBe('approved');
    await vi.advanceTimersByTimeAsync(1_000);
    const closed = await store.get(held.id);
    expect(closed?.state).toBe('failed');
    expect(closed?.error).toMatchObject({ code: 'run_interrupted', status: 504 });
    expect(runs).toBe(1);
    other.close();
  });

  it('is closed on the next read or listing where no timer was set (a process that started after the decision)', async () => {
    let now = Date.parse('2026-11-30T00:00:00Z');
    const store = new MemoryApprovalStore();
    const first = new ApprovalQueue({ store, runTimeoutMs: 60_000, now: () => now });
    first.setRunner(() => new Promise(() => undefined));
    const held = await first.request({ callId: 'c2', tool: 'file.write', args: {}, caller: alice });
    void first.approve(held.id, bob);
    await new Promise((resolve) => setImmediate(resolve));
    first.close();
    const later = new ApprovalQueue({ store, runTimeoutMs: 60_000, now: () => now });
    expect((await later.list({ state: 'approved' })).map((a) => a.id)).toEqual([held.id]);
    now += 60_000;
    expect(await later.list({ state: 'approved' })).toEqual([]);
    expect((await later.get(held.id)).error?.code).toBe('run_interrupted');
    later.close();
  });

  it('leaves a run that finished in time as it ended: the compare-and-set lets the outcome win', async () => {
    vi.useFakeTimers();
    const store = new MemoryApprovalStore();
    const queue = new ApprovalQueue({ store, runTimeoutMs: 60_000 });
    queue.setRunner(async () => 'done');
    const held = await queue.request({ callId: 'c3', tool: 'file.write', args: {}, caller: alice });
    expect((await queue.approve(held.id, bob)).state).toBe('executed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect((await queue.get(held.id)).state).toBe('executed');
    queue.close();
  });

  it('refuses a run timeout out of range', () => {
    expect(() => new ApprovalQueue({ runTimeoutMs: 0 })).toThrow(/runTimeoutMs/);
    expect(() => new ApprovalQueue({ runTimeoutMs: 366 * 86_400_000 })).toThrow(/runTimeoutMs/);
  });
});
