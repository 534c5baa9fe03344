import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { summaryOf, viewOf, type Approval } from '../../src/approvals/approval.js';
import { MemoryApprovalStore } from '../../src/approvals/approval-store.js';
import { ApprovalQueue, type ApprovalChange, type Caller, type Logger } from '../../src/index.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver' };
const YEAR = 365 * 86_400_000;

function queueWith(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}) {
  const queue = new ApprovalQueue(options);
  onTestFinished(() => queue.close());
  const runs: unknown[] = [];
  queue.setRunner(async (approval) => {
    runs.push(approval.args);
    if ((approval.args as { fail?: boolean }).fail === true) throw new Error('boom');
    return { ok: true };
  });
  const changes: ApprovalChange[] = [];
  queue.on('change', (change) => changes.push(change));
  return { queue, runs, changes };
}

/** Whether `promise` has settled once every due promise has run (fake timers: no timer fires). */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return settled;
}

describe('ApprovalQueue edges', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes a timeout of 1 ms up to a year, and refuses anything else', () => {
    for (const timeoutMs of [1, YEAR]) expect(new ApprovalQueue({ timeoutMs }).timeoutMs).toBe(timeoutMs);
    expect(new ApprovalQueue().timeoutMs).toBe(300_000);
    for (const timeoutMs of [0, 0.5, -1, YEAR + 1, Number.NaN]) {
      expect(() => new ApprovalQueue({ timeoutMs }), String(timeoutMs)).toThrow(new RangeError(`approvals timeoutMs must be 1..${YEAR} ms, got ${timeoutMs}`));
    }
  });

  it('an approval past its expiry is expired when read, though its timer has not fired, and cannot be approved', async () => {
    vi.useFakeTimers();
    const clock = { now: Date.UTC(2026, 0, 1) };
    const { queue, runs, changes } = queueWith({ timeoutMs: 1000, now: () => clock.now });
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    clock.now += 999;
    await expect(queue.get(held.id)).resolves.toMatchObject({ state: 'pending' });
    clock.now += 1;
    await expect(queue.get(held.id)).resolves.toMatchObject({ state: 'expired' });
    await expect(queue.approve(held.id, bob)).rejects.toMatchObject({ code: 'approval_not_pending', details: { state: 'expired' } });
    expect(runs).toEqual([]);
    expect(changes.map((change) => change.type)).toEqual(['approval.requested', 'approval.expired']);
    await expect(queue.get('nope')).rejects.toThrow('no approval "nope"');
  });

  it('keeps origin and context only when given', async () => {
    const { queue } = queueWith();
    const plain = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(plain).not.toHaveProperty('origin');
    expect(plain).not.toHaveProperty('context');
    const full = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, origin: 'https://app.example', context: { via: 'mcp' } });
    expect(full).toMatchObject({ origin: 'https://app.example', context: { via: 'mcp' } });
  });

  it('keeps the ids of the policies that held the call (the approved run\'s audit entry names them), as a copy', async () => {
    const { queue } = queueWith();
    const policies = ['p-deploy', 'p-prod'];
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, policies });
    policies.push('added later');
    expect((await queue.get(held.id)).policies).toEqual(['p-deploy', 'p-prod']);
    expect(await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice })).not.toHaveProperty('policies');
  });

  it('takes a quorum of 1 up to 10 approvers, and refuses anything else naming the bounds', async () => {
    const { queue } = queueWith({ store: new MemoryApprovalStore() });
    await expect(queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required: 10 })).resolves.toMatchObject({ required: 10, approvals: [] });
    for (const required of [0, 11, 1.5, Number.NaN]) {
      await expect(queue.request({ callId: 'c', tool: 't', args: {}, caller: alice, required })).rejects.toThrow(`an approval needs 1..10 approvers, got ${required}`);
    }
  });

  it('records the reason of a decision only when one is given, and each change names its decider', async () => {
    const { queue, changes } = queueWith();
    const a = await queue.request({ callId: 'a', tool: 't', args: {}, caller: alice });
    const b = await queue.request({ callId: 'b', tool: 't', args: {}, caller: alice });
    await queue.reject(a.id, bob, 'too risky');
    await queue.approve(b.id, bob);
    expect((await queue.get(a.id)).decision).toEqual({ by: 'bob', at: expect.any(String), reason: 'too risky' });
    expect((await queue.get(b.id)).decision).toStrictEqual({ by: 'bob', at: expect.any(String) });
    const c = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const d = await queue.request({ callId: 'd', tool: 't', args: {}, caller: alice });
    await queue.reject(c.id, bob);
    await queue.approve(d.id, bob, 'fine');
    expect((await queue.get(c.id)).decision).toStrictEqual({ by: 'bob', at: expect.any(String) });
    expect((await queue.get(d.id)).decision).toEqual({ by: 'bob', at: expect.any(String), reason: 'fine' });
    expect(changes.slice(0, 5).map((change) => [change.type, change.by?.id])).toEqual([
      ['approval.requested', undefined],
      ['approval.requested', undefined],
      ['approval.rejected', 'bob'],
      ['approval.approved', 'bob'],
      ['approval.executed', undefined],
    ]);
    expect(changes[0]).not.toHaveProperty('by');
  });

  it('a failing approved call is announced as failed', async () => {
    const { queue, changes } = queueWith();
    const held = await queue.request({ callId: 'c', tool: 't', args: { fail: true }, caller: alice });
    await expect(queue.approve(held.id, bob)).resolves.toMatchObject({ state: 'failed' });
    expect(changes.map((change) => change.type)).toEqual(['approval.requested', 'approval.approved', 'approval.failed']);
  });

  it('without a runner an approval is not run', async () => {
    const queue = new ApprovalQueue();
    onTestFinished(() => queue.close());
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await expect(queue.approve(held.id, bob)).rejects.toThrow('ApprovalQueue has no runner; attach it to a Gateway');
  });

  it('self-approval is refused only between two users of one name; a system caller of that name is someone else', async () => {
    const { queue } = queueWith();
    const system: Caller = { kind: 'system', id: 'alice' };
    const byUser = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await expect(queue.approve(byUser.id, system)).resolves.toMatchObject({ state: 'executed' });
    const bySystem = await queue.request({ callId: 'c', tool: 't', args: {}, caller: system });
    await expect(queue.approve(bySystem.id, alice)).resolves.toMatchObject({ state: 'executed' });
  });

  it('wait() answers at once for a decided approval or a zero wait, and ends on its own approval only', async () => {
    vi.useFakeTimers();
    const { queue } = queueWith();
    const decided = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await queue.reject(decided.id, bob);
    expect(await settledNow(queue.wait(decided.id, 600_000))).toBe(true);
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    // A zero wait sets no timer at all: it has settled before any timer (even one due now) could run.
    let zeroSettled = false;
    void queue.wait(held.id, 0).then(() => (zeroSettled = true));
    for (let i = 0; i < 20 && !zeroSettled; i += 1) await Promise.resolve();
    expect(zeroSettled).toBe(true);
    expect(vi.getTimerCount()).toBe(1); // the held approval's expiry, no wait timer
    const waiting = queue.wait(held.id, 600_000);
    const other = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await queue.reject(other.id, bob);
    expect(await settledNow(waiting)).toBe(false);
    await queue.reject(held.id, bob);
    expect(await settledNow(waiting)).toBe(true);
    await expect(waiting).resolves.toMatchObject({ id: held.id, state: 'rejected' });
  });

  type Decide = (queue: ApprovalQueue, id: string) => Promise<unknown>;
  const decisions: Array<[string, Decide]> = [
    ['rejected', (queue, id) => queue.reject(id, bob)],
    ['failed', (queue, id) => queue.approve(id, bob)],
    ['expired', () => vi.advanceTimersByTimeAsync(1000)],
  ];
  it.each(decisions)('wait() ends when its approval is %s', async (state, decide) => {
    vi.useFakeTimers();
    const { queue } = queueWith({ timeoutMs: 1000 });
    const held = await queue.request({ callId: 'c', tool: 't', args: { fail: true }, caller: alice });
    const waiting = queue.wait(held.id, 600_000);
    await decide(queue, held.id);
    expect(await settledNow(waiting)).toBe(true);
    await expect(waiting).resolves.toMatchObject({ state });
  });

  it('a wait that ends leaves no listener on its signal, and a decision clears the expiry timer', async () => {
    vi.useFakeTimers();
    const { queue } = queueWith();
    const held = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(vi.getTimerCount()).toBe(1);
    const controller = new AbortController();
    const waiting = queue.wait(held.id, 600_000, controller.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await queue.approve(held.id, bob);
    await waiting;
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a listener that throws is logged and undoes nothing', async () => {
    const errors: string[] = [];
    const logger: Logger = { info: () => undefined, warn: () => undefined, error: (message) => void errors.push(message) };
    const { queue, runs } = queueWith({ logger });
    queue.on('change', () => {
      throw new Error('listener bug');
    });
    const held = await queue.request({ callId: 'c', tool: 't', args: { n: 1 }, caller: alice });
    await expect(queue.approve(held.id, bob)).resolves.toMatchObject({ state: 'executed' });
    expect(runs).toEqual([{ n: 1 }]);
    expect(errors).toContain('approval listener threw');
  });

  it('finished approvals are dropped after the retention time, at most one sweep a minute; pending ones stay', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const store = new MemoryApprovalStore();
    const { queue } = queueWith({ store, timeoutMs: YEAR, retentionMs: 10 * 60_000, now: () => clock.now });
    const done = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const pending = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await queue.reject(done.id, bob);
    clock.now += 9 * 60_000;
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await expect(queue.get(done.id)).resolves.toMatchObject({ state: 'rejected' });
    clock.now += 2 * 60_000;
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await expect(queue.get(done.id)).rejects.toMatchObject({ status: 404 });
    await expect(queue.get(pending.id)).resolves.toMatchObject({ state: 'pending' });
    // A second sweep within the minute does not run: what finished meanwhile stays until the next one.
    const soon = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    await queue.reject(soon.id, bob);
    clock.now += 11 * 60_000 - 1;
    const spy = vi.spyOn(store, 'prune');
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(spy).toHaveBeenCalledWith(clock.now - 10 * 60_000);
    spy.mockClear();
    clock.now += 59_999;
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(spy).not.toHaveBeenCalled();
    clock.now += 1;
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(spy).toHaveBeenCalledTimes(1);
    await expect(queue.list()).resolves.toEqual(expect.arrayContaining([expect.objectContaining({ id: pending.id })]));
  });

  it('lists approvals oldest first, and by state', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const { queue } = queueWith({ now: () => clock.now });
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      clock.now += 1000;
      ids.push((await queue.request({ callId: `c${i}`, tool: 't', args: {}, caller: alice })).id);
    }
    await queue.reject(ids[1] ?? '', bob);
    expect((await queue.list()).map((approval) => approval.id)).toEqual(ids);
    expect((await queue.list({ state: 'pending' })).map((approval) => approval.id)).toEqual([ids[0], ids[2]]);
  });
});

describe('approval views', () => {
  const base: Approval = {
    id: 'a1',
    callId: 'c1',
    tool: 'files.delete',
    args: { path: '/tmp/x' },
    digest: 'd'.repeat(64),
    caller: { kind: 'user', id: 'alice' },
    state: 'pending',
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:05:00.000Z',
  };

  it('shows a result only once the call has run, the decision and error only when there are some, free text scrubbed', () => {
    const redact = (args: unknown): unknown => ({ redacted: args });
    expect(viewOf(base, redact)).toStrictEqual({
      ...summaryOf(base),
      call_id: 'c1',
      args: { redacted: { path: '/tmp/x' } },
      args_digest: base.digest,
      requested_by: { user: 'alice' },
    });
    const decided = { by: 'bob', at: '2026-01-01T00:01:00.000Z' };
    // A result stored on an approval that did not execute (failed after running) is not shown.
    expect(viewOf({ ...base, state: 'failed', decision: decided, result: { secret: 'x' }, error: { code: 'tool_failed', message: 'token=abc123 leaked', status: 500 } }, redact)).toStrictEqual({
      ...summaryOf({ ...base, state: 'failed' }),
      call_id: 'c1',
      args: { redacted: { path: '/tmp/x' } },
      args_digest: base.digest,
      requested_by: { user: 'alice' },
      decided_by: 'bob',
      decided_at: decided.at,
      error: { code: 'tool_failed', message: 'token=[REDACTED] leaked' },
    });
    const executed = viewOf({ ...base, caller: { kind: 'user', id: 'alice', role: 'agent' }, state: 'executed', decision: { ...decided, reason: 'ok, password=hunter2' }, result: { n: 1 } }, redact);
    expect(executed).toMatchObject({ requested_by: { user: 'alice', role: 'agent' }, reason: 'ok, password=[REDACTED]', result: { n: 1 } });
    expect(summaryOf(base)).toStrictEqual({ id: 'a1', tool: 'files.delete', state: 'pending', created_at: base.createdAt, expires_at: base.expiresAt });
  });

  it('names the origin the args came from to those who see the view (the console shows it), scrubbed, and never in the summary', () => {
    const withOrigin = { ...base, origin: 'https://tickets.example.com/42?token=abc123' };
    expect(viewOf(withOrigin, (args) => args).origin).toBe('https://tickets.example.com/42?token=[REDACTED]');
    expect(viewOf(base, (args) => args)).not.toHaveProperty('origin');
    expect(summaryOf(withOrigin)).not.toHaveProperty('origin');
  });

  it('a quorum\'s view: how many are required and each approval so far, its reason scrubbed; none of it for a one-person call', () => {
    const votes = [
      { by: 'bob', at: '2026-01-01T00:01:00.000Z' },
      { by: 'carol', at: '2026-01-01T00:02:00.000Z', reason: 'checked, api_key=sk-live-1' },
    ];
    expect(viewOf({ ...base, required: 3, approvals: votes }, (args) => args)).toMatchObject({
      required: 3,
      approvals: [
        { by: 'bob', at: votes[0]?.at },
        { by: 'carol', at: votes[1]?.at, reason: 'checked, api_key=[REDACTED]' },
      ],
    });
    expect(viewOf({ ...base, required: 3, approvals: votes }, (args) => args).approvals?.[0]).not.toHaveProperty('reason');
    // Required but no vote yet: an empty list, not a missing one.
    expect(viewOf({ ...base, required: 2 }, (args) => args)).toMatchObject({ required: 2, approvals: [] });
    const single = viewOf(base, (args) => args);
    expect(single).not.toHaveProperty('required');
    expect(single).not.toHaveProperty('approvals');
  });
});
