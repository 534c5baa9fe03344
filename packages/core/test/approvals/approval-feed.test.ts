import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue, MemoryApprovalStore, type ApprovalChange, type ApprovalFeed, type ApprovalFeedChange, type ApprovalFeedListener, type ApprovalStore, type Caller } from '../../src/index.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };

/** One feed in memory shared by several queues: what a Redis feed does across processes, synchronously. */
class SharedFeed {
  readonly #listeners = new Set<ApprovalFeedListener>();
  #seq = 0;

  feed(): ApprovalFeed {
    return {
      publish: async (change) => {
        this.#seq += 1;
        const numbered: ApprovalFeedChange = { ...change, seq: this.#seq };
        for (const listener of this.#listeners) listener.change(numbered);
      },
      subscribe: (listener) => {
        this.#listeners.add(listener);
        listener.history([]);
        return () => this.#listeners.delete(listener);
      },
    };
  }
}

describe('ApprovalQueue with a feed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('announces every queue its changes, numbered by the feed, marking the ones another queue made', async () => {
    const shared = new SharedFeed();
    const store = new MemoryApprovalStore();
    const a = new ApprovalQueue({ store, feed: shared.feed() });
    const b = new ApprovalQueue({ store, feed: shared.feed() });
    b.setRunner(async () => 'done');
    const heard = { a: [] as ApprovalChange[], b: [] as ApprovalChange[] };
    a.on('change', (change) => heard.a.push(change));
    b.on('change', (change) => heard.b.push(change));
    const held = await a.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const waiting = a.wait(held.id, 60_000);
    await b.approve(held.id, bob);
    expect((await waiting).state).toBe('executed');
    expect(heard.a.map((c) => [c.seq, c.type, c.remote])).toEqual([
      [1, 'approval.requested', undefined],
      [2, 'approval.approved', true],
      [3, 'approval.executed', true],
    ]);
    expect(heard.b.map((c) => c.remote)).toEqual([true, undefined, undefined]);
    expect(a.changesSince(1).map((c) => c.seq)).toEqual([2, 3]);
    a.close();
    b.close();
  });

  it('expires what another queue asked for, once, when that queue is gone', async () => {
    vi.useFakeTimers();
    const shared = new SharedFeed();
    const store = new MemoryApprovalStore();
    const a = new ApprovalQueue({ store, feed: shared.feed(), timeoutMs: 1000 });
    const b = new ApprovalQueue({ store, feed: shared.feed(), timeoutMs: 1000 });
    const expired: boolean[] = [];
    b.on('change', (change) => {
      if (change.type === 'approval.expired') expired.push(change.remote === true);
    });
    const held = await a.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    a.close();
    await vi.advanceTimersByTimeAsync(1001);
    expect((await store.get(held.id))?.state).toBe('expired');
    expect(expired).toEqual([false]);
    b.close();
  });
});

describe('ApprovalQueue expiry when the store fails', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the failure instead of leaving an unhandled rejection; the approval stays pending', async () => {
    vi.useFakeTimers();
    const store = new MemoryApprovalStore();
    const failing: ApprovalStore = {
      insert: (approval) => store.insert(approval),
      get: (id) => store.get(id),
      list: (filter) => store.list(filter),
      prune: (before) => store.prune(before),
      transition: () => Promise.reject(new Error('store down')),
    };
    const errors: string[] = [];
    const logger = { info() {}, warn() {}, error: (message: string) => errors.push(message) };
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const queue = new ApprovalQueue({ store: failing, timeoutMs: 1000, logger });
      const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
      await vi.advanceTimersByTimeAsync(1001);
      vi.useRealTimers();
      await new Promise((resolve) => setImmediate(resolve));
      expect(errors).toEqual(['could not expire an approval']);
      expect(unhandled).not.toHaveBeenCalled();
      expect((await store.get(held.id))?.state).toBe('pending');
      queue.close();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
