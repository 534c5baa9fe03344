import { getEventListeners } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SandboxError, SandboxPool } from '../src/index.js';
import { WaitQueue } from '../src/wait-queue.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('WaitQueue', () => {
  it('hands values to the longest-waiting call first, and refuses past its length at once', async () => {
    const queue = new WaitQueue<string>(2, 1000);
    const first = queue.wait(undefined, 'full');
    const second = queue.wait(undefined, 'full');
    await expect(queue.wait(undefined, 'full')).rejects.toMatchObject({ code: 'sandbox_busy', message: 'full' });
    expect(queue.handOff('a')).toBe(true);
    expect(queue.handOff('b')).toBe(true);
    expect(queue.handOff('c')).toBe(false);
    await expect(Promise.all([first, second])).resolves.toEqual(['a', 'b']);
  });

  it('rejectAll fails every waiting call with the error given, and leaves no timer or listener behind', async () => {
    vi.useFakeTimers();
    const queue = new WaitQueue<string>(10, 60_000);
    const controller = new AbortController();
    const waiting = [queue.wait(undefined, 'full'), queue.wait(controller.signal, 'full')];
    const outcomes = Promise.allSettled(waiting);
    queue.rejectAll(new SandboxError('sandbox_closed', 'the pool is closing'));
    expect((await outcomes).map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as SandboxError).message : 'ran'))).toEqual([
      'the pool is closing',
      'the pool is closing',
    ]);
    expect(queue.length).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(queue.handOff('late')).toBe(false);
  });

  it('says whether the caller left before or while it waited; one caller leaving lets the others keep their place', async () => {
    const gone = new AbortController();
    gone.abort();
    const queue = new WaitQueue<string>(10, 60_000);
    await expect(queue.wait(gone.signal, 'full')).rejects.toThrow(new SandboxError('sandbox_closed', 'the caller went away before a worker was free'));
    const first = queue.wait(undefined, 'full');
    const leaving = new AbortController();
    const second = queue.wait(leaving.signal, 'full');
    const third = queue.wait(undefined, 'full');
    leaving.abort();
    await expect(second).rejects.toThrow(new SandboxError('sandbox_closed', 'the caller went away while waiting for a worker'));
    expect(queue.length).toBe(2);
    queue.handOff('a');
    queue.handOff('b');
    await expect(Promise.all([first, third])).resolves.toEqual(['a', 'b']);
  });

  it('gives up with sandbox_busy after its timeout, so a call never waits forever', async () => {
    vi.useFakeTimers();
    const queue = new WaitQueue<string>(10, 500);
    const waiting = queue.wait(undefined, 'full');
    const outcome = expect(waiting).rejects.toMatchObject({ code: 'sandbox_busy', message: 'no worker was free within 500 ms' });
    await vi.advanceTimersByTimeAsync(500);
    await outcome;
    expect(queue.length).toBe(0);
  });

  it('listens once per signal however many calls share it, and lets them all go when it aborts', async () => {
    const controller = new AbortController();
    const queue = new WaitQueue<string>(100, 10_000);
    const waiting = Array.from({ length: 20 }, () => queue.wait(controller.signal, 'full'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    queue.handOff('served');
    controller.abort();
    const outcomes = await Promise.allSettled(waiting);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 'served' });
    for (const outcome of outcomes.slice(1)) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'sandbox_closed' } });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expect(queue.wait(controller.signal, 'full')).rejects.toMatchObject({ code: 'sandbox_closed' });
  });

  it('drops its listener when the last call of a signal is served', async () => {
    const controller = new AbortController();
    const queue = new WaitQueue<string>(100, 10_000);
    const waiting = [queue.wait(controller.signal, 'full'), queue.wait(controller.signal, 'full')];
    queue.handOff('a');
    queue.handOff('b');
    await Promise.all(waiting);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('SandboxPool whose workers cannot start', () => {
  it('fails a waiting call with sandbox_busy after queueTimeoutMs instead of holding it forever', async () => {
    // A module that exits at once: every worker dies before answering its first ping.
    const pool = await SandboxPool.start({ size: 1, workerPath: resolve(__dirname, 'fixtures/tools/add.mjs'), queueTimeoutMs: 300, restartDelayMs: 10 });
    try {
      expect((await pool.health()).healthy).toBe(false);
      await expect(pool.call('ping', {})).rejects.toMatchObject({ name: 'SandboxError', code: 'sandbox_busy' });
    } finally {
      await pool.close();
    }
  });
});
