import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxPool, type SandboxPoolOptions } from '../src/index.js';
import { recordingLogger } from './support/recording-logger.js';
import { assertPid, isGone, waitFor } from './support/processes.js';

// The pool's failure paths that sandbox-pool-lifecycle.test.ts leaves open (issue 24, the survivors of
// sandbox-pool.ts): a worker that misses a ping while health() asks twice, what each refusal says,
// close() with a call that will not end, and a scratch folder removed from under the pool. Real worker
// processes; fixtures/workers/pings-once.mjs stops answering pings on purpose.

const toolsDir = resolve(__dirname, 'fixtures/tools');
const pingsOnce = resolve(__dirname, 'fixtures/workers/pings-once.mjs');
const pingErrors = resolve(__dirname, 'fixtures/workers/ping-errors.mjs');
const exitsAtStart = resolve(__dirname, 'fixtures/workers/exits-at-start.mjs');
const gatedStart = resolve(__dirname, 'fixtures/workers/gated-start.py');
const exitsWithLongStderr = resolve(__dirname, 'fixtures/workers/exits-with-long-stderr.mjs');
const farOff = { restartDelayMs: 600_000, maxRestartDelayMs: 600_000 };
const pools: SandboxPool[] = [];
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function startPool(options: SandboxPoolOptions): Promise<SandboxPool> {
  const pool = await SandboxPool.start({ isolation: 'none', ...options });
  pools.push(pool);
  return pool;
}

describe('a worker that misses its ping', () => {
  it('is not alive for every health() asking meanwhile, is logged as hung and killed, and its slot stays empty until the replacement', async () => {
    const logger = recordingLogger();
    // No interval pings and a restart far off: the only pings are health()'s, and the empty slot stays empty.
    const pool = await startPool({ size: 1, workerPath: pingsOnce, pingTimeoutMs: 200, pingIntervalMs: 600_000, restartDelayMs: 600_000, maxRestartDelayMs: 600_000, logger });
    const pid = assertPid(pool.pids[0]);
    const restarted = once(pool, 'restart');
    // The second health() shares the first one's ping: it must not count the slot that ping holds as alive.
    expect(pool.isolation).toMatchObject({ permissionModel: true, heapLimitMb: 128 });
    const [first, second] = await Promise.all([pool.health(), pool.health()]);
    expect(first).toMatchObject({ healthy: false, alive: 0 });
    expect(second).toMatchObject({ healthy: false, alive: 0 });
    expect(logger.lines).toContainEqual(['error', 'SandboxError: worker missed its ping; killed its process group, replacing it', { worker: 0, pid, timeout_ms: 200 }]);
    await restarted;
    await waitFor(() => isGone(pid), 'the worker to be killed');
    expect(pool.pids).toEqual([]);
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0, details: { restarts: 1 } });
  });

  it('is found out by the next health() after one it answered: an answered ping is not reused', async () => {
    const pool = await startPool({ size: 1, workerPath: pingsOnce, env: { PINGS_ANSWERED: '2' }, pingTimeoutMs: 200, pingIntervalMs: 600_000, ...farOff });
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 1 });
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0 });
  });

  it('is not pinged at once by default (the interval is 5 s)', async () => {
    const pool = await startPool({ size: 1, workerPath: pingsOnce, pingTimeoutMs: 50, ...farOff });
    const pid = assertPid(pool.pids[0]);
    // Pinged now, it would have been killed within 50 ms.
    await new Promise((r) => setTimeout(r, 300));
    expect(pool.pids).toEqual([pid]);
    expect((await pool.health()).details.restarts).toBe(0);
  });

  it('has 1 s to answer a ping by default', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, workerPath: pingsOnce, pingIntervalMs: 600_000, ...farOff, logger });
    const pid = assertPid(pool.pids[0]);
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0 });
    expect(logger.lines).toContainEqual(['error', 'SandboxError: worker missed its ping; killed its process group, replacing it', { worker: 0, pid, timeout_ms: 1000 }]);
  });

  it('a ping answered with an error is no hang: nothing is logged and the worker stays', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, workerPath: pingErrors, logger });
    const [pid] = pool.pids;
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 1 });
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 1 });
    expect(pool.pids).toEqual([pid]);
    expect(logger.lines).toEqual([]);
  });
});

describe('a replacement that has not answered its first ping yet', () => {
  it('counts as not alive, and a call waits for it rather than being handed to it', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'pool-gate-'));
    folders.push(folder);
    const gate = join(folder, 'open');
    await writeFile(gate, '');
    const pool = await startPool({ size: 1, workerPath: gatedStart, env: { START_GATE: gate }, restartDelayMs: 0, startTimeoutMs: 60_000 });
    const first = assertPid(pool.pids[0]);
    await rm(gate);
    await expect(pool.call('exit', {})).rejects.toMatchObject({ code: 'sandbox_crashed' });
    await waitFor(() => pool.pids.length === 1 && pool.pids[0] !== first, 'the replacement to be spawned');
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0 });
    const queued = pool.call('echo', 'after the start');
    expect((await pool.health()).details.queued).toBe(1);
    await writeFile(gate, '');
    await expect(queued).resolves.toBe('after the start');
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 1 });
  });
});

describe('a worker that does not start', () => {
  it('one that does not answer its first ping in time is logged as such, and counts as not alive', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'pool-gate-'));
    folders.push(folder);
    const logger = recordingLogger();
    // The gate is never opened.
    const pool = await startPool({ size: 1, workerPath: gatedStart, env: { START_GATE: join(folder, 'open') }, startTimeoutMs: 200, ...farOff, logger });
    expect(logger.lines).toContainEqual(['error', 'SandboxError: worker did not start in time; killed its process group, replacing it', { worker: 0, pid: expect.any(Number), timeout_ms: 200 }]);
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0 });
  });

  it('the restart names the last line it wrote to stderr, cut to 200 characters in the log', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, workerPath: exitsWithLongStderr, restartDelayMs: 10, maxRestartDelayMs: 10, logger });
    const cry = 'the config is broken '.repeat(15).trimEnd();
    const [restart] = (await once(pool, 'restart')) as [{ index: number; reason: string }];
    expect(restart).toEqual({ index: 0, reason: cry });
    const logged = logger.lines.find(([, message]) => message === 'WorkerProcess.restart');
    expect(logged?.[2]).toMatchObject({ worker: 0, reason: cry.slice(0, 200) });
  });

  it('a replacement that cannot get a scratch folder (the root removed by a temp cleaner) is logged and tried again until it can', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pool-scratch-'));
    folders.push(root);
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, toolsDir, scratchRoot: root, restartDelayMs: 0, maxRestartDelayMs: 20, logger });
    const removed = await readdir(root);
    await Promise.all(removed.map((folder) => rm(join(root, folder), { recursive: true, force: true })));
    await expect(pool.call('run', { tool: 'crash', args: {} })).rejects.toMatchObject({ code: 'sandbox_crashed' });
    const failures = () => logger.lines.filter(([, message]) => message === 'SandboxError: could not restart a worker');
    // Tried again, not once and for all: the slot is not left empty for good.
    await waitFor(() => failures().length >= 2, 'the failed restart to be tried again');
    expect(failures()[0]?.[0]).toBe('error');
    expect(failures()[0]?.[2]).toEqual({ error: expect.objectContaining({ code: 'ENOENT' }), worker: 0, retry_in_ms: expect.any(Number) });
    expect(pool.pids).toEqual([]);
    expect(await pool.health()).toMatchObject({ healthy: false, alive: 0 });
    // What failed passes (the folder is back): the next attempt starts a worker, and calls run again.
    await Promise.all(removed.map((folder) => mkdir(join(root, folder), { mode: 0o700 })));
    await waitFor(async () => (await pool.health()).healthy, 'the pool to be back at full strength');
    await expect(pool.call('echo', 'back')).resolves.toBe('back');
  });
});

describe('what a refused call is told', () => {
  it('closed, caller gone, all workers busy: each says so', async () => {
    const pool = await startPool({ size: 1, toolsDir, maxQueue: 1, restartDelayMs: 0 });
    const gone = new AbortController();
    gone.abort();
    await expect(pool.call('echo', 'x', { signal: gone.signal })).rejects.toMatchObject({ code: 'sandbox_closed', message: 'the caller went away before a worker was free' });
    const holding = pool.call('run', { tool: 'wait', args: {} }, { timeoutMs: 300 });
    const queued = pool.call('echo', 'queued');
    await expect(pool.call('echo', 'one too many')).rejects.toMatchObject({ code: 'sandbox_busy', message: 'all 1 workers are busy and 1 calls are waiting' });
    await expect(holding).rejects.toMatchObject({ code: 'sandbox_timeout' });
    // The queued call outlives the worker that timed out: it runs on the replacement.
    await expect(queued).resolves.toBe('queued');
    await pool.close();
    await expect(pool.call('echo', 'late')).rejects.toMatchObject({ code: 'sandbox_closed', message: 'the sandbox pool is closed' });
  });
});

describe('close()', () => {
  it('fails queued calls, does not wait for ever on a call that will not end, and stops its worker', async () => {
    const pool = await startPool({ size: 1, toolsDir, killGraceMs: 100 });
    const pid = assertPid(pool.pids[0]);
    // A call that would run for ten minutes: close() lets running calls finish, but not that long.
    const stuck = pool.call('run', { tool: 'wait', args: {} }, { timeoutMs: 600_000 }).catch((error: unknown) => error);
    const queued = pool.call('echo', 'never').catch((error: unknown) => error);
    expect((await pool.health()).details.queued).toBe(1);
    await pool.close();
    expect(await queued).toMatchObject({ code: 'sandbox_closed', message: 'the sandbox pool is closing' });
    expect(await stuck).toMatchObject({ code: 'sandbox_closed' });
    expect(isGone(pid)).toBe(true);
  });

  it('begun while a replacement is being set up: that replacement never starts, and nothing is logged as failed', async () => {
    // The restart's timer is set right after the 'restart' event; a timer set after it fires after it, once
    // the replacement has begun (its scratch folder being made), and sometimes only once that folder is
    // made and the replacement spawned (then there is a pid). Tried until close() lands before the spawn.
    for (let attempt = 1; ; attempt += 1) {
      const logger = recordingLogger();
      const pool = await startPool({ size: 1, toolsDir, restartDelayMs: 0, logger });
      let closing: Promise<void> | undefined;
      let duringSetUp = false;
      pool.once('restart', () =>
        queueMicrotask(() =>
          setTimeout(() => {
            duringSetUp = pool.pids.length === 0;
            closing = pool.close();
          }, 0),
        ),
      );
      await expect(pool.call('run', { tool: 'crash', args: {} })).rejects.toMatchObject({ code: 'sandbox_crashed' });
      await waitFor(() => closing !== undefined, 'close() to begin');
      await closing;
      if (!duringSetUp && attempt < 20) continue;
      expect(duringSetUp).toBe(true);
      // Long enough for a replacement that was not stopped to have been spawned.
      await new Promise((r) => setTimeout(r, 300));
      expect(pool.pids).toEqual([]);
      expect(logger.lines.filter(([level]) => level === 'error').map(([, message]) => message)).toEqual([expect.stringMatching(/^SandboxError: worker exited/)]);
      return;
    }
  });

  it('still closes when its scratch folder was removed from under it (a temp cleaner)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pool-scratch-'));
    folders.push(root);
    const pool = await startPool({ size: 2, scratchRoot: root });
    const pids = pool.pids;
    await Promise.all((await readdir(root)).map((folder) => rm(join(root, folder), { recursive: true, force: true })));
    await pool.close();
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('defaults of the queue and the restarts', () => {
  it('100 calls may wait, long enough for a worker that timed out to be replaced (after 100 ms) and serve them all', async () => {
    const logger = recordingLogger();
    const pool = await startPool({ size: 1, toolsDir, logger });
    const holding = pool.call('run', { tool: 'wait', args: {} }, { timeoutMs: 300 });
    const queued = Array.from({ length: 100 }, (_, n) => pool.call('echo', { n }));
    await expect(pool.call('echo', 'one too many')).rejects.toMatchObject({ code: 'sandbox_busy', message: 'all 1 workers are busy and 100 calls are waiting' });
    await expect(holding).rejects.toMatchObject({ code: 'sandbox_timeout' });
    expect(await Promise.all(queued)).toEqual(Array.from({ length: 100 }, (_, n) => ({ n })));
    expect(logger.lines.filter(([, message]) => message === 'WorkerProcess.restart').map(([, , fields]) => fields?.in_ms)).toEqual([100]);
  });

  it('a restart waits at most 5 s unless told otherwise', async () => {
    const logger = recordingLogger();
    await startPool({ size: 1, workerPath: exitsAtStart, restartDelayMs: 6000, logger });
    expect(logger.lines.filter(([, message]) => message === 'WorkerProcess.restart').map(([, , fields]) => fields?.in_ms)).toEqual([5000]);
  });
});

describe('a pool whose workers cannot be started', () => {
  it('start() throws what stopped them, and leaves no folder behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pool-scratch-'));
    folders.push(root);
    // Node refuses a NUL byte in an environment value when it spawns: a misconfigured env option.
    await expect(SandboxPool.start({ size: 2, isolation: 'none', scratchRoot: root, env: { BROKEN: 'a\u0000b' } })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(await readdir(root)).toEqual([]);
  });
});

describe('isolation where neither bubblewrap nor setpriv can be found', () => {
  // Detection runs the tools from PATH, before start() first waits: an empty PATH is a host without them.
  async function startWithoutTools(options: SandboxPoolOptions): Promise<SandboxPool> {
    const path = process.env.PATH;
    const empty = await mkdtemp(join(tmpdir(), 'no-tools-'));
    folders.push(empty);
    process.env.PATH = empty;
    try {
      return SandboxPool.start(options);
    } finally {
      process.env.PATH = path;
    }
  }

  it("'bwrap' is refused with sandbox_unavailable, saying why", async () => {
    await expect(startWithoutTools({ size: 1, isolation: 'bwrap' })).rejects.toMatchObject({
      code: 'sandbox_unavailable',
      message: expect.stringMatching(/^bubblewrap required but bwrap not available: /),
    });
  });

  it("'auto' runs workers without either, and reports that they may outlive the gateway", async () => {
    const pool = await startWithoutTools({ size: 1, toolsDir });
    pools.push(pool);
    expect(pool.isolation).toEqual({ permissionModel: true, bwrap: false, bwrapReason: expect.stringMatching(/^bwrap not available: /), dieWithParent: false, heapLimitMb: 128 });
    await expect(pool.call('echo', 'still works')).resolves.toBe('still works');
  });
});
