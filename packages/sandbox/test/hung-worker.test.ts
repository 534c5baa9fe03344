import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectBwrap, SandboxError, SandboxPool, type IsolationMode } from '../src/index.js';
import { isGone, signalProcess, waitFor, workerLeaf } from './support/processes.js';

// Issue 14, item 7: a SIGSTOPped worker stayed in the pool, its health ping timed out but freed its slot
// while still in flight, and calls given that slot failed with "takes one request at a time".
const toolsDir = resolve(__dirname, 'fixtures/tools');
const pools: SandboxPool[] = [];
const stopped: number[] = [];

afterEach(async () => {
  for (const pid of stopped.splice(0)) if (!isGone(pid)) signalProcess(pid, 'SIGKILL');
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

const bwrap = detectBwrap();
if (!bwrap.usable) console.warn(`skipped: hung-worker tests under bubblewrap (${bwrap.reason})`);
const modes: IsolationMode[] = bwrap.usable ? ['none', 'bwrap'] : ['none'];

describe.each(modes)('a hung worker (isolation: %s)', (isolation) => {
  async function startPool(pingIntervalMs = 50): Promise<SandboxPool> {
    // A short interval, so that a hang is found within a few; a timeout a healthy worker meets on a busy machine.
    const pool = await SandboxPool.start({ size: 2, isolation, toolsDir, timeoutMs: 1000, pingIntervalMs, pingTimeoutMs: 1000, restartDelayMs: 10 });
    pools.push(pool);
    return pool;
  }

  function stop(pid: number | undefined): number {
    const leaf = workerLeaf(pid);
    stopped.push(leaf);
    signalProcess(leaf, 'SIGSTOP');
    return leaf;
  }

  it('an idle worker that stops answering is found by its ping, killed and replaced', async () => {
    const pool = await startPool();
    const [victim, other] = pool.pids;
    const restarted = once(pool, 'restart');
    const leaf = stop(victim);
    const [{ index }] = (await restarted) as [{ index: number }];
    expect(index).toBe(0);
    await waitFor(() => isGone(leaf), 'the stopped worker to be killed');
    await waitFor(async () => (await pool.health()).healthy, 'the pool to be back at full strength');
    expect(pool.pids).toHaveLength(2);
    expect(pool.pids).not.toContain(victim);
    expect(pool.pids).toContain(other);
    await expect(pool.call('ping', {})).resolves.toBe('pong');
  });

  it('health() reports the stopped worker as not alive, and never frees its slot while the ping is pending', async () => {
    const pool = await startPool();
    stop(pool.pids[0]);
    const outcomes: PromiseSettledResult<unknown>[] = [];
    let health = await pool.health();
    // (A ping answered just before the stop may still count once; the next one cannot.)
    await waitFor(async () => !(health = await pool.health()).healthy, 'health() to see the stopped worker');
    expect(health).toMatchObject({ healthy: false, alive: 1 });
    // Calls and health checks side by side while the worker is killed and replaced.
    await waitFor(async () => {
      const batch = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => pool.call('echo', { n })));
      outcomes.push(...batch);
      health = await pool.health();
      return health.healthy && health.details.restarts >= 1;
    }, 'the pool to replace the stopped worker');
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as unknown);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(SandboxError);
      expect(String(failure)).not.toContain('one request at a time');
      expect((failure as SandboxError).code).toBe('sandbox_timeout');
    }
    expect(outcomes.length - failures.length).toBeGreaterThan(0);
    expect(health).toMatchObject({ healthy: true, alive: 2, size: 2 });
  });

  it('a worker stopped under a call fails that call with sandbox_timeout, is killed and replaced', async () => {
    // No interval pings here: the call's own timeout is what must catch the stopped worker.
    const pool = await startPool(60_000);
    const [victim] = pool.pids;
    const leaf = stop(victim);
    const restarted = once(pool, 'restart');
    // Both calls start at once: the first takes the first idle slot (the stopped worker), the second the other.
    const [hung, answered] = await Promise.allSettled([pool.call('echo', 'lost', { timeoutMs: 300 }), pool.call('echo', 'kept')]);
    expect(hung).toMatchObject({ status: 'rejected', reason: { name: 'SandboxError', code: 'sandbox_timeout' } });
    expect(answered).toMatchObject({ status: 'fulfilled', value: 'kept' });
    await restarted;
    await waitFor(() => isGone(leaf), 'the stopped worker to be killed');
    await waitFor(async () => (await pool.health()).healthy, 'the pool to be back at full strength');
    expect(pool.pids).not.toContain(victim);
  });
});
