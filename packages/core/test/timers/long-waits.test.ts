import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ApprovalQueue, Gateway, MAX_TIMER_DELAY_MS, silentLogger, systemCaller, type ContainerRunner, type WorkerPool } from '../../src/index.js';
import { sendApprovalWebhooks } from '../../src/approvals/approval-webhooks.js';

// Issue 14.1, the class: every timer whose delay comes from configuration survives a delay past
// Node's maximum (2^31-1 ms), which Node otherwise turns into 1 ms.
const DAY = 86_400_000;
const caller = systemCaller('host-job');

describe('waits longer than the timer maximum', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('an approval with a 30-day timeout stays pending for 30 days, then expires', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 30 * DAY });
    const approval = await queue.request({ callId: 'c1', tool: 't', args: {}, caller });
    expect(approval.expiresAt).toBe('2026-01-31T00:00:00.000Z');
    await vi.advanceTimersByTimeAsync(DAY);
    expect((await queue.get(approval.id)).state).toBe('pending');
    await vi.advanceTimersByTimeAsync(29 * DAY);
    expect((await queue.get(approval.id)).state).toBe('expired');
    queue.close();
  });

  it('a long-poll of 30 days is not answered after 1 ms', async () => {
    const queue = new ApprovalQueue({ timeoutMs: 60 * DAY });
    const approval = await queue.request({ callId: 'c1', tool: 't', args: {}, caller });
    let answered = false;
    const waited = queue.wait(approval.id, 30 * DAY).then((result) => ((answered = true), result));
    await vi.advanceTimersByTimeAsync(DAY);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(29 * DAY);
    await expect(waited).resolves.toMatchObject({ state: 'pending' });
    queue.close();
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 366 * DAY])('an approval timeout of %j is refused when the queue is built', (timeoutMs) => {
    expect(() => new ApprovalQueue({ timeoutMs })).toThrow(RangeError);
  });

  it('webhook retries back off to at most 10 minutes, and never in a burst once doubling overflows', async () => {
    const attempts: number[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        attempts.push(Date.now());
        return new Response(null, { status: 503 });
      }),
    );
    const delays: number[] = [];
    const spy = vi.spyOn(globalThis, 'setTimeout');
    // One delivery only: the approval does not expire (a second change) while its retries run.
    const queue = new ApprovalQueue({ timeoutMs: 60 * DAY });
    const retries = 30;
    sendApprovalWebhooks(queue, { urls: ['http://127.0.0.1:9/hook'], secret: 's', backoffMs: 500, retries }, (change) => change.approval.id, silentLogger);
    await queue.request({ callId: 'c1', tool: 't', args: {}, caller });
    for (let i = 0; i < 40 && attempts.length < retries + 1; i += 1) await vi.advanceTimersByTimeAsync(600_000);
    for (const [, delay] of spy.mock.calls) delays.push(Number(delay));
    spy.mockRestore();
    expect(attempts).toHaveLength(retries + 1);
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...gaps)).toBe(600_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
    queue.close();
  });

  it("a sandboxed tool's timeout reaches the pool and the container runner within the timer maximum", async () => {
    const seen: Array<number | undefined> = [];
    const workerPool: WorkerPool = {
      health: async () => ({ healthy: true, alive: 1, size: 1 }),
      call: async (_action, _params, options) => (seen.push(options.timeoutMs), 'ok'),
    };
    const docker: ContainerRunner = { run: async (request) => (seen.push(request.timeoutMs), 'ok') };
    const gateway = new Gateway({ logger: silentLogger, workerPool, docker })
      .registerTool({ name: 'pooled', description: 'p', args: z.object({}), run: { sandbox: 'pool', action: 'run', timeoutMs: 40 * DAY } })
      .registerTool({ name: 'boxed', description: 'd', args: z.object({}), run: { sandbox: 'docker', command: ['true'], timeoutMs: 1e15 } });
    await gateway.callTool({ tool: 'pooled', args: {} }, { caller });
    await gateway.callTool({ tool: 'boxed', args: {} }, { caller });
    expect(seen).toEqual([MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS]);
    await gateway.close();
  });
});
