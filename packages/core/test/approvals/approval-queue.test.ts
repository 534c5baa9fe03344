import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue, systemCaller, type ApprovalChange, type Caller } from '../../src/index.js';
import { approvalEventStream } from '../../src/approvals/approval-stream.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };

function queueWithRunner(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}) {
  const queue = new ApprovalQueue(options);
  const runs: unknown[] = [];
  queue.setRunner(async (approval) => {
    runs.push(approval.args);
    return { ok: true };
  });
  return { queue, runs };
}

describe('ApprovalQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires a pending approval when its timer fires, as expired (not rejected)', async () => {
    vi.useFakeTimers();
    const { queue } = queueWithRunner({ timeoutMs: 1000 });
    const changes: string[] = [];
    queue.on('change', (c) => changes.push(c.type));
    const approval = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await vi.advanceTimersByTimeAsync(1001);
    expect((await queue.get(approval.id)).state).toBe('expired');
    expect(changes).toEqual(['approval.requested', 'approval.expired']);
    await expect(queue.approve(approval.id, bob)).rejects.toMatchObject({ status: 409, details: { state: 'expired' } });
    queue.close();
  });

  it('wait() resolves on the final state, or with the current one at its timeout or abort', async () => {
    const { queue } = queueWithRunner();
    const a = await queue.request({ callId: 'c', tool: 't', args: { n: 1 }, caller: alice });
    const waiting = queue.wait(a.id, 10_000);
    await queue.approve(a.id, bob);
    await expect(waiting).resolves.toMatchObject({ state: 'executed', result: { ok: true } });

    const b = await queue.request({ callId: 'c2', tool: 't', args: {}, caller: alice });
    await expect(queue.wait(b.id, 5)).resolves.toMatchObject({ state: 'pending' });
    const controller = new AbortController();
    const aborted = queue.wait(b.id, 10_000, controller.signal);
    controller.abort();
    await expect(aborted).resolves.toMatchObject({ state: 'pending' });
    expect(queue.listenerCount('change')).toBe(0);
    queue.close();
  });

  it('wait() with a signal aborted before the wait began, or while it looked the approval up, answers at once, not at its timeout', async () => {
    // Fake timers that never advance: a wait left to its timer stays unsettled, and says so below.
    vi.useFakeTimers();
    const { queue } = queueWithRunner();
    const a = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const settledAfterAbort = async (abortFirst: boolean): Promise<{ settled: boolean; state?: string }> => {
      const controller = new AbortController();
      if (abortFirst) controller.abort();
      const outcome: { settled: boolean; state?: string } = { settled: false };
      const waiting = queue.wait(a.id, 600_000, controller.signal).then((approval) => Object.assign(outcome, { settled: true, state: approval.state }));
      // Aborted while the approval is being looked up: an HTTP client leaving right after asking.
      controller.abort();
      // Lets every pending promise run; no timer fires (none is due before 600 s).
      await vi.advanceTimersByTimeAsync(0);
      const seen = { ...outcome };
      if (!outcome.settled) {
        await vi.advanceTimersByTimeAsync(600_000);
        await waiting;
      }
      return seen;
    };
    expect(await settledAfterAbort(true)).toEqual({ settled: true, state: 'pending' });
    expect(await settledAfterAbort(false)).toEqual({ settled: true, state: 'pending' });
    expect(queue.listenerCount('change')).toBe(0);
    expect(vi.getTimerCount()).toBe(1); // the approval's own expiry, no wait timer left behind
    queue.close();
  });

  it('wait() answers an abort that comes while it waits, with the state then, and leaves no listener', async () => {
    vi.useFakeTimers();
    const { queue } = queueWithRunner();
    const a = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const controller = new AbortController();
    let settled = false;
    const waiting = queue.wait(a.id, 600_000, controller.signal).then((approval) => {
      settled = true;
      return approval;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(settled).toBe(false);
    expect(queue.listenerCount('change')).toBe(1);
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    await expect(waiting).resolves.toMatchObject({ id: a.id, state: 'pending' });
    expect(queue.listenerCount('change')).toBe(0);
    queue.close();
  });

  it('a failing run is recorded as failed with its error, and the approval is still final', async () => {
    const queue = new ApprovalQueue();
    queue.setRunner(async () => {
      throw new Error('disk on fire');
    });
    const a = await queue.request({ callId: 'c', tool: 'tool.x', args: {}, caller: alice });
    const done = await queue.approve(a.id, bob);
    expect(done).toMatchObject({ state: 'failed', error: { code: 'tool_failed', status: 500 } });
    expect(JSON.stringify(done.error)).not.toContain('disk on fire');
    queue.close();
  });

  it('allowSelfApproval lets a caller approve their own call when a host wants that', async () => {
    const { queue, runs } = queueWithRunner({ allowSelfApproval: true });
    const a = await queue.request({ callId: 'c', tool: 't', args: { x: 1 }, caller: alice });
    await expect(queue.approve(a.id, alice)).resolves.toMatchObject({ state: 'executed' });
    expect(runs).toEqual([{ x: 1 }]);
    queue.close();
  });

  it('keeps only the last N changes for replay', async () => {
    const { queue } = queueWithRunner({ replayBuffer: 3 });
    for (let i = 0; i < 5; i += 1) await queue.request({ callId: `c${i}`, tool: 't', args: {}, caller: systemCaller('s') });
    expect(queue.changesSince(0).map((c) => c.seq)).toEqual([3, 4, 5]);
    queue.close();
  });
});

describe('approvalEventStream', () => {
  it('sends a heartbeat comment when nothing happens', async () => {
    const { queue } = queueWithRunner();
    const controller = new AbortController();
    const stream = approvalEventStream(queue, controller.signal, { present: (c) => c.approval.id, heartbeatMs: 10 });
    expect((await stream.next()).value).toContain(': connected');
    expect((await stream.next()).value).toBe(': heartbeat\n\n');
    controller.abort();
    expect((await stream.next()).done).toBe(true);
    expect(queue.listenerCount('change')).toBe(0);
    queue.close();
  });

  it('ends the stream of a client that falls too far behind, so it reconnects with Last-Event-ID', async () => {
    // No replay buffer, so everything this client gets comes through its own bounded buffer.
    const { queue } = queueWithRunner({ replayBuffer: 0 });
    const controller = new AbortController();
    const stream = approvalEventStream(queue, controller.signal, { present: (c: ApprovalChange) => c.seq, maxBuffered: 5 });
    await stream.next();
    for (let i = 0; i < 10; i += 1) await queue.request({ callId: `c${i}`, tool: 't', args: {}, caller: alice });
    const received: string[] = [];
    for await (const chunk of stream) received.push(chunk);
    expect(received).toHaveLength(5);
    expect(received[0]).toContain('id: 1\n');
    expect(queue.listenerCount('change')).toBe(0);
    queue.close();
  });
});
