import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApprovalQueue, Gateway, silentLogger, systemCaller, type ApprovalChange, type Caller } from '../../src/index.js';
import { approvalEventStream } from '../../src/approvals/approval-stream.js';

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };

/** A client that has read its ': connected' line, so its listener is on the queue. */
async function connected(stream: AsyncGenerator<string>): Promise<AsyncGenerator<string>> {
  expect((await stream.next()).value).toContain(': connected');
  return stream;
}

describe('approvalEventStream formats each change once per presenter', () => {
  it('presents a live change once for every client given the same presenter, and each gets the same event', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    let presented = 0;
    const present = (change: ApprovalChange) => {
      presented += 1;
      return { id: change.approval.id };
    };
    const clients = await Promise.all(Array.from({ length: 3 }, () => connected(approvalEventStream(queue, controller.signal, { present }))));
    const approval = await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    const events = await Promise.all(clients.map(async (client) => (await client.next()).value));
    expect(events).toEqual(Array.from({ length: 3 }, () => `id: 1\nevent: approval.requested\ndata: ${JSON.stringify({ id: approval.id })}\n\n`));
    expect(presented).toBe(1);
    controller.abort();
    queue.close();
  });

  it('presents separately for different presenters (audiences)', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    const full = await connected(approvalEventStream(queue, controller.signal, { present: (c) => ({ full: c.approval.tool }) }));
    const summary = await connected(approvalEventStream(queue, controller.signal, { present: (c) => ({ summary: c.approval.state }) }));
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect((await full.next()).value).toContain('data: {"full":"t"}');
    expect((await summary.next()).value).toContain('data: {"summary":"pending"}');
    controller.abort();
    queue.close();
  });

  it('presents replayed changes afresh, so a reconnecting client sees them as the presenter shows them now', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    let rule = 'before';
    const present = () => ({ rule });
    const live = await connected(approvalEventStream(queue, controller.signal, { present }));
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect((await live.next()).value).toContain('data: {"rule":"before"}');
    rule = 'after';
    const reconnected = approvalEventStream(queue, controller.signal, { present, lastEventId: 0 });
    await reconnected.next();
    expect((await reconnected.next()).value).toContain('data: {"rule":"after"}');
    controller.abort();
    queue.close();
  });
});

describe('approvalEventStream delivers without holding up the call that made the change', () => {
  it('lets the call that made a change go on before any client is sent it', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    const client = await connected(approvalEventStream(queue, controller.signal, { present: (c) => c.seq }));
    let received: string | undefined;
    const next = client.next().then((result) => {
      received = String(result.value);
    });
    await queue.request({ callId: 'c', tool: 't', args: {}, caller: alice });
    expect(received).toBeUndefined();
    await next;
    expect(received).toBe('id: 1\nevent: approval.requested\ndata: 1\n\n');
    controller.abort();
    queue.close();
  });

  it('wakes many clients a slice per turn of the event loop, so other work runs in between, and reaches them all in order', async () => {
    const queue = new ApprovalQueue();
    const controller = new AbortController();
    const clients = await Promise.all(Array.from({ length: 300 }, () => connected(approvalEventStream(queue, controller.signal, { present: (c) => c.seq }))));
    const received: string[][] = clients.map(() => []);
    const reading = clients.map(async (client, i) => {
      for (let n = 0; n < 2; n += 1) received[i]?.push(String((await client.next()).value));
    });
    await queue.request({ callId: 'a', tool: 't', args: {}, caller: alice });
    await queue.request({ callId: 'b', tool: 't', args: {}, caller: alice });
    await new Promise((resolve) => setImmediate(resolve));
    const reachedAfterOneTurn = received.filter((events) => events.length > 0).length;
    expect(reachedAfterOneTurn).toBeGreaterThan(0);
    expect(reachedAfterOneTurn).toBeLessThan(clients.length);
    await Promise.all(reading);
    for (const events of received) expect(events.map((e) => e.split('\n')[0])).toEqual(['id: 1', 'id: 2']);
    controller.abort();
    queue.close();
  });
});

describe('GET /approvals/stream', () => {
  it('views a change once for all approvers and summarises it once for everyone else, each audience seeing its own', async () => {
    const gateway = new Gateway({ logger: silentLogger }).registerTool({
      name: 'risky',
      description: 'r',
      args: z.object({ password: z.string() }),
      requiresApproval: true,
      run: () => 'ran',
    });
    await gateway.auth.createUser({ username: 'reviewer', password: 'reviewer-password', role: 'approver' }, { actor: systemCaller('test') });
    const { accessToken } = await gateway.auth.login('reviewer', 'reviewer-password', { address: 'test' });
    const controller = new AbortController();
    const open = async (token?: string): Promise<AsyncIterator<string>> => {
      const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
      const response = await gateway.handle({ method: 'GET', url: '/approvals/stream', headers, body: { kind: 'none' } });
      if (response === undefined || !('events' in response)) throw new Error('not an event stream');
      const events = response.events(controller.signal)[Symbol.asyncIterator]();
      expect((await events.next()).value).toContain(': connected');
      return events;
    };
    const approvers = [await open(accessToken), await open(accessToken)];
    const others = [await open(), await open()];
    const viewed = vi.spyOn(gateway, 'approvalView');
    await gateway.callTool({ tool: 'risky', args: { password: 'p4ss' } }, { caller: systemCaller('host-job') });
    const [full, fullAgain] = await Promise.all(approvers.map(async (events) => String((await events.next()).value)));
    const [summary, summaryAgain] = await Promise.all(others.map(async (events) => String((await events.next()).value)));
    expect(viewed).toHaveBeenCalledTimes(1);
    expect(fullAgain).toBe(full);
    expect(summaryAgain).toBe(summary);
    expect(full).toContain('"args":{"password":');
    expect(full).not.toContain('p4ss');
    expect(summary).toContain('event: approval.requested');
    expect(summary).not.toContain('args');
    controller.abort();
    await gateway.close();
  });
});
