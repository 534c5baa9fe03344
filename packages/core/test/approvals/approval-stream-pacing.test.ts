import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalQueue, type Caller } from '../../src/index.js';
import { approvalEventStream, type ApprovalStreamOptions } from '../../src/approvals/approval-stream.js';

// The stream's pacing on its own (issue 24: the survivors of approval-stream.ts): how often the session
// is asked again, when heartbeats go out, that a client waiting for a change is woken for every change
// and by its own disconnect, that replay and live delivery never send an id twice, and that an ended
// stream leaves no listener behind. The clock of `performance.now()` and the heartbeat's interval are
// faked; the wake-ups between turns (setImmediate) are real.

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };
const present = (change: { seq: number }): number => change.seq;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function open(queue: ApprovalQueue, options: Partial<ApprovalStreamOptions> = {}) {
  const controller = new AbortController();
  const stream = approvalEventStream(queue, controller.signal, { present, ...options });
  return { stream, controller };
}

/** The next event, or a failure naming what was awaited when none comes: the bound is on a hang, not a measurement. */
async function next(stream: AsyncGenerator<string>, waitingFor: string): Promise<IteratorResult<string>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream sent nothing while waiting for ${waitingFor}`)), 5000);
  });
  try {
    return await Promise.race([stream.next(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

const request = (queue: ApprovalQueue, callId: string) => queue.request({ callId, tool: 't', args: {}, caller: alice });
const idOf = (event: string | undefined): string | undefined => /^id: (\d+)/.exec(event ?? '')?.[1];

describe('approvalEventStream asks whether the client may still see it', () => {
  it('at most once a second by default, and again once a full second has passed', async () => {
    const queue = new ApprovalQueue();
    let asked = 0;
    const { stream, controller } = open(queue, {
      stillAllowed: async () => {
        asked += 1;
        return true;
      },
    });
    expect((await next(stream, 'the connected line')).value).toContain(': connected');
    for (const callId of ['a', 'b', 'c']) {
      await request(queue, callId);
      expect(idOf((await next(stream, `the change of ${callId}`)).value)).toBeDefined();
    }
    expect(asked).toBe(0);
    vi.advanceTimersByTime(1000);
    await request(queue, 'd');
    expect(idOf((await next(stream, 'the change of d')).value)).toBe('4');
    expect(asked).toBe(1);
    await request(queue, 'e');
    expect(idOf((await next(stream, 'the change of e')).value)).toBe('5');
    expect(asked).toBe(1);
    controller.abort();
    queue.close();
  });

  it('never, when there is nothing to ask: the stream goes on past the re-check interval', async () => {
    const queue = new ApprovalQueue();
    const { stream, controller } = open(queue);
    await next(stream, 'the connected line');
    const waiting = next(stream, 'the change of a');
    vi.advanceTimersByTime(5000);
    await request(queue, 'a');
    expect(idOf((await waiting).value)).toBe('1');
    controller.abort();
    queue.close();
  });

  it('every time when recheckMs is 0', async () => {
    const queue = new ApprovalQueue();
    let asked = 0;
    const { stream, controller } = open(queue, {
      recheckMs: 0,
      stillAllowed: async () => {
        asked += 1;
        return true;
      },
    });
    await next(stream, 'the connected line');
    for (const callId of ['a', 'b']) {
      await request(queue, callId);
      await next(stream, `the change of ${callId}`);
    }
    expect(asked).toBe(2);
    controller.abort();
    queue.close();
  });
});

describe('approvalEventStream paces its heartbeats', () => {
  it('sends one heartbeat per interval, not one before every later change', async () => {
    const queue = new ApprovalQueue();
    const { stream, controller } = open(queue, { heartbeatMs: 100 });
    await next(stream, 'the connected line');
    const waiting = next(stream, 'the heartbeat');
    vi.advanceTimersByTime(100);
    expect((await waiting).value).toBe(': heartbeat\n\n');
    for (const callId of ['a', 'b', 'c']) {
      await request(queue, callId);
      const event = (await next(stream, `the change of ${callId}`)).value;
      expect(event).not.toContain('heartbeat');
      expect(idOf(event)).toBeDefined();
    }
    controller.abort();
    queue.close();
  });
});

describe('approvalEventStream wakes a waiting client', () => {
  it('for a change made after the previous one was delivered, with no heartbeat to nudge it', async () => {
    const queue = new ApprovalQueue();
    const { stream, controller } = open(queue);
    await next(stream, 'the connected line');
    for (const [index, callId] of ['a', 'b', 'c'].entries()) {
      const waiting = next(stream, `the change of ${callId}, made while the client waited`);
      await request(queue, callId);
      expect(idOf((await waiting).value)).toBe(String(index + 1));
    }
    controller.abort();
    queue.close();
  });

  it('when the client goes away while it waits: the stream ends and leaves no listener behind', async () => {
    const queue = new ApprovalQueue();
    const { stream, controller } = open(queue);
    await next(stream, 'the connected line');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const waiting = next(stream, 'the end after the abort');
    controller.abort();
    expect((await waiting).done).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(queue.listenerCount('change')).toBe(0);
    queue.close();
  });
});

describe('approvalEventStream sends each id once', () => {
  it('when a change happens between connecting and the replay: in the replay and the live buffer, sent once', async () => {
    const queue = new ApprovalQueue();
    const { stream, controller } = open(queue, { lastEventId: 0 });
    await next(stream, 'the connected line');
    await request(queue, 'a'); // buffered live and in the replay the next read sends
    expect(idOf((await next(stream, 'the replay of change 1')).value)).toBe('1');
    const waiting = next(stream, 'change 2');
    await request(queue, 'b');
    expect(idOf((await waiting).value)).toBe('2');
    controller.abort();
    queue.close();
  });
});
