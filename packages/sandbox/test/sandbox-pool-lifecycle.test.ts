import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectBwrap, detectParentDeathSignal, SandboxError, SandboxPool, type SandboxPoolOptions } from '../src/index.js';
import { recordingLogger } from './support/recording-logger.js';

// The pool's own bookkeeping (issue 24: the survivors of sandbox-pool.ts): its defaults and what
// health() reports, the isolation it records, the restart backoff and when it starts over, what is
// logged for each kind of failure, and what close() leaves behind. Real worker processes throughout;
// the two workers in fixtures/workers misbehave on purpose.

const toolsDir = resolve(__dirname, 'fixtures/tools');
const exitsAtStart = resolve(__dirname, 'fixtures/workers/exits-at-start.mjs');
const pingErrors = resolve(__dirname, 'fixtures/workers/ping-errors.mjs');
const pools: SandboxPool[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function startPool(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
  const pool = await SandboxPool.start(options);
  pools.push(pool);
  return pool;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const run = (pool: SandboxPool, tool: string, args: unknown = {}) => pool.call('run', { tool, args });

describe('SandboxPool defaults and health', () => {
  it('two workers, a 5 s timeout, a 128 MiB heap; health counts both alive and nothing restarted or queued', async () => {
    const pool = await startPool();
    expect(pool.size).toBe(2);
    expect(pool.timeoutMs).toBe(5000);
    expect(new Set(pool.pids).size).toBe(2);
    const health = await pool.health();
    expect(health).toMatchObject({ healthy: true, alive: 2, size: 2, details: { restarts: 0, queued: 0 } });
    expect(health.details.isolation).toMatchObject({ permissionModel: true, heapLimitMb: 128 });
  });

  it('refuses a size that is not a positive integer, naming it', async () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      await expect(SandboxPool.start({ size })).rejects.toThrow(new RangeError(`pool size must be a positive integer, got ${size}`));
    }
  });

  it('is not healthy once closed, and refuses calls', async () => {
    const pool = await startPool({ size: 1 });
    await pool.close();
    expect((await pool.health()).healthy).toBe(false);
    await expect(pool.call('ping', {})).rejects.toMatchObject({ code: 'sandbox_closed' });
    await pool.close(); // a second close is a no-op
  });

  it('is not healthy while closing, though its workers still answer', async () => {
    const pool = await startPool({ size: 2, toolsDir });
    const running = pool.call('run', { tool: 'wait', args: {} }, { timeoutMs: 500 }).catch((error: unknown) => error);
    await until(async () => (await pool.health()).alive === 2 && pool.pids.length === 2, 'the call to be running');
    const closing = pool.close();
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 2 });
    expect(await running).toMatchObject({ code: 'sandbox_timeout' });
    await closing;
  });

  it('a worker that answers its ping with an error is alive: it is neither failed nor replaced', async () => {
    const pool = await startPool({ size: 1, workerPath: pingErrors, pingIntervalMs: 50 });
    const [pid] = pool.pids;
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 1 });
    await new Promise((r) => setTimeout(r, 200)); // a few interval pings
    expect(pool.pids).toEqual([pid]);
    await expect(pool.call('echo', { a: 1 })).resolves.toEqual({ a: 1 });
    expect((await pool.health()).details.restarts).toBe(0);
  });
});

describe('SandboxPool isolation report', () => {
  it("isolation 'none': no bubblewrap, and says why", async () => {
    const pool = await startPool({ size: 1, isolation: 'none' });
    expect(pool.isolation).toEqual({ permissionModel: true, bwrap: false, bwrapReason: 'disabled', dieWithParent: detectParentDeathSignal(), heapLimitMb: 128 });
  });

  it('auto: bubblewrap when it is usable, with no reason; otherwise its reason', async () => {
    const bwrap = detectBwrap();
    const pool = await startPool({ size: 1, heapLimitMb: 96 });
    if (bwrap.usable) expect(pool.isolation).toEqual({ permissionModel: true, bwrap: true, dieWithParent: true, heapLimitMb: 96 });
    else expect(pool.isolation).toMatchObject({ bwrap: false, bwrapReason: bwrap.reason });
  });

  it("'bwrap' is refused with sandbox_unavailable where bubblewrap is not usable", async () => {
    const bwrap = detectBwrap();
    if (bwrap.usable) {
      console.log(`bubblewrap is usable here: checking that 'bwrap' starts instead of the refusal`);
      const pool = await startPool({ size: 1, isolation: 'bwrap' });
      expect(pool.isolation.bwrap).toBe(true);
      return;
    }
    await expect(SandboxPool.start({ size: 1, isolation: 'bwrap' })).rejects.toMatchObject({ code: 'sandbox_unavailable', message: `bubblewrap required but ${bwrap.reason}` });
  });
});

describe('SandboxPool restarts', () => {
  it('a worker that dies before answering is restarted with a delay doubling per crash, capped, each restart announced with its reason', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, workerPath: exitsAtStart, restartDelayMs: 40, maxRestartDelayMs: 100, queueTimeoutMs: 300, logger });
    const restarts: Array<{ index: number; reason: string }> = [];
    pool.on('restart', (restart) => restarts.push(restart));
    const delays = () => logger.lines.filter(([, message]) => message === 'WorkerProcess.restart').map(([, , fields]) => fields?.in_ms);
    await until(() => delays().length >= 3, 'three restarts');
    expect(delays().slice(0, 3)).toEqual([40, 80, 100]);
    const first = logger.lines.find(([, message]) => message === 'WorkerProcess.restart');
    expect(first?.[0]).toBe('warn');
    expect(first?.[2]).toMatchObject({ worker: 0, reason: 'boom: could not start' });
    expect(restarts[0]).toEqual({ index: 0, reason: 'boom: could not start' });
    const health = await pool.health();
    expect(health).toMatchObject({ healthy: false, alive: 0 });
    expect(health.details.restarts).toBeGreaterThanOrEqual(3);
    await expect(pool.call('ping', {})).rejects.toMatchObject({ code: 'sandbox_busy' });
  }, 60_000);

  it('the backoff starts over once a replacement has answered', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, toolsDir, restartDelayMs: 30, maxRestartDelayMs: 10_000, logger });
    const delays = () => logger.lines.filter(([, message]) => message === 'WorkerProcess.restart').map(([, , fields]) => fields?.in_ms);
    for (let round = 1; round <= 3; round += 1) {
      await expect(run(pool, 'crash')).rejects.toMatchObject({ code: 'sandbox_crashed' });
      await until(async () => (await pool.health()).healthy, `the replacement of crash ${round}`);
    }
    expect(delays()).toEqual([30, 30, 30]);
    expect((await pool.health()).details.restarts).toBe(3);
  });

  it('workers stopped by close() are not restarted, counted or announced', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 2, restartDelayMs: 0, logger });
    const restarts: unknown[] = [];
    pool.on('restart', (restart) => restarts.push(restart));
    await pool.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(restarts).toEqual([]);
    expect(logger.lines).toEqual([]);
    expect((await pool.health()).details.restarts).toBe(0);
  });
});

describe('SandboxPool logging', () => {
  it('a timeout and a crash are logged as errors with the worker; a tool error and a too-large request are not', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, toolsDir, restartDelayMs: 10, logger });
    const [pid] = pool.pids;
    await expect(pool.call('run', { tool: 'hang', args: {} }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'sandbox_timeout' });
    expect(logger.lines).toContainEqual(['error', 'SandboxError: worker timed out; killed its process group, replacing it', { worker: 0, pid }]);
    await until(async () => (await pool.health()).healthy, 'the replacement');
    logger.lines.splice(0);
    await expect(run(pool, 'crash')).rejects.toMatchObject({ code: 'sandbox_crashed' });
    const crashLog = logger.lines.find(([level]) => level === 'error');
    expect(crashLog?.[1]).toMatch(/^SandboxError: /);
    expect(crashLog?.[2]).toEqual({ worker: 0, code: 'sandbox_crashed' });
    await until(async () => (await pool.health()).healthy, 'the replacement');
    logger.lines.splice(0);
    await expect(run(pool, 'no-such-tool')).rejects.toMatchObject({ code: 'worker_error' });
    await expect(pool.call('echo', { big: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({ code: 'sandbox_request_too_large' });
    expect(logger.lines.filter(([level]) => level === 'error')).toEqual([]);
  });
});

describe('SandboxPool scratch space', () => {
  it('each worker gets its own folder under scratchRoot, and close() removes them all', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pool-scratch-'));
    folders.push(root);
    const pool = await startPool({ size: 2, scratchRoot: root });
    const [poolFolder] = await readdir(root);
    expect(poolFolder).toMatch(/^agent-gateway-sandbox-/);
    expect((await readdir(join(root, poolFolder ?? ''))).sort()).toEqual([expect.stringMatching(/^worker-0-/), expect.stringMatching(/^worker-1-/)]);
    await pool.close();
    expect(await readdir(root)).toEqual([]);
  });
});
