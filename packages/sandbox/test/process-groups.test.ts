import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLED_WORKER_PATH, detectBwrap, detectParentDeathSignal, killProcessGroup, SandboxPool, type IsolationMode } from '../src/index.js';
import { commandOf, descendants, isGone, signalProcess, waitFor, workerLeaf } from './support/processes.js';

// Issue 14, item 7: workers were killed one process at a time, so whatever a worker had started lived
// on after it was killed, replaced, or its pool (or gateway) went away.
const spawningWorker = resolve(__dirname, 'fixtures/spawning-worker.py');
const poolHost = resolve(__dirname, 'fixtures/pool-host.ts');
const pools: SandboxPool[] = [];
const leftovers: number[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  for (const pid of leftovers.splice(0)) if (!isGone(pid)) signalProcess(pid, 'SIGKILL');
});

/** The `count` sleep processes started by the pool's workers (host pids), once they all show as `sleep`. */
async function grandchildren(pool: SandboxPool, count: number): Promise<number[]> {
  let found: number[] = [];
  // A child's name changes to `sleep` a moment after the worker's Popen returns.
  await waitFor(() => {
    found = pool.pids.flatMap((pid) => descendants(pid)).filter((pid) => commandOf(pid) === 'sleep');
    return found.length === count;
  }, `${count} sleep processes under the worker`);
  leftovers.push(...found);
  return found;
}

/** Runs fixtures/pool-host.ts in its own process: a gateway the test can make exit or kill outright. */
async function startHost(isolation: IsolationMode, work: 'spawn' | 'spin') {
  const child = spawn(process.execPath, ['--import', 'tsx', poolHost, isolation, work], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    new Promise<string[]>((r) => lines.once('line', (text: string) => r([text]))),
    exited.then(() => {
      throw new Error('the pool host exited before it was ready');
    }),
  ]);
  const { pids, dieWithParent } = JSON.parse((line ?? '').replace(/^ready /, '')) as { pids: number[]; dieWithParent: boolean };
  // Everything under the host: bwrap, the worker, and what the worker started.
  const under = (): number[] => descendants(child.pid ?? 0);
  if (work === 'spawn') await waitFor(() => under().some((pid) => commandOf(pid) === 'sleep'), 'the worker\'s sleep process');
  const processes = under();
  leftovers.push(...processes);
  return { child, exited, pids, dieWithParent, processes, kill: () => killProcessGroup(child.pid, 'SIGKILL') };
}

const bwrap = detectBwrap();
if (!bwrap.usable) console.warn(`skipped: process-group tests under bubblewrap (${bwrap.reason})`);
const modes: IsolationMode[] = bwrap.usable ? ['none', 'bwrap'] : ['none'];

describe.each(modes)('a worker and the processes it started (isolation: %s)', (isolation) => {
  async function startPool(): Promise<SandboxPool> {
    const pool = await SandboxPool.start({ size: 1, isolation, workerPath: spawningWorker, restartDelayMs: 10 });
    pools.push(pool);
    return pool;
  }

  it('die together when the worker is killed for a timeout, and the worker is replaced', async () => {
    const pool = await startPool();
    await expect(pool.call('spawn', {})).resolves.toBe('spawned');
    const [sleeper] = await grandchildren(pool, 1);
    await expect(pool.call('hang', {}, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'sandbox_timeout' });
    await waitFor(() => isGone(sleeper ?? 0), 'the worker\'s child to die with it');
    await waitFor(async () => (await pool.health()).healthy, 'a replacement worker');
  });

  it('die together when the pool closes', async () => {
    const pool = await startPool();
    await pool.call('spawn', {});
    await pool.call('spawn', {});
    const sleepers = await grandchildren(pool, 2);
    const worker = workerLeaf(pool.pids[0]);
    await pool.close();
    for (const pid of [worker, ...sleepers]) await waitFor(() => isGone(pid), `process ${pid} to be gone after close()`);
  });

  it('die together when the gateway exits without closing its pool', async () => {
    const host = await startHost(isolation, 'spawn');
    expect(host.processes.map((pid) => commandOf(pid))).toContain('sleep');
    host.child.stdin?.write('exit\n');
    await host.exited;
    for (const pid of host.processes) await waitFor(() => isGone(pid), `process ${pid} (${commandOf(pid)}) to be gone after the host exited`);
  });
});

describe('a gateway killed outright (SIGKILL)', () => {
  if (!bwrap.usable) console.warn(`skipped: SIGKILL of the gateway under bubblewrap (${bwrap.reason})`);
  it.skipIf(!bwrap.usable)('under bubblewrap takes its workers and everything they started with it', async () => {
    const host = await startHost('bwrap', 'spawn');
    expect(host.processes.map((pid) => commandOf(pid))).toContain('sleep');
    host.kill();
    await host.exited;
    for (const pid of host.processes) await waitFor(() => isGone(pid), `process ${pid} to be gone after the host was killed`);
  });

  const pdeathsig = detectParentDeathSignal();
  if (!pdeathsig) console.warn('skipped: SIGKILL of the gateway without bubblewrap (setpriv --pdeathsig is not available here)');
  it.skipIf(!pdeathsig)('without bubblewrap takes a worker stuck in a tool with it (setpriv --pdeathsig)', async () => {
    const host = await startHost('none', 'spin');
    expect(host.dieWithParent).toBe(true);
    const worker = host.pids[0] ?? 0;
    leftovers.push(worker);
    // Wait until the worker is in its loop (running, not waiting on stdin): stdin EOF cannot stop it then.
    await waitFor(() => /\) R/.test(statOf(worker)), 'the worker to be spinning in its tool');
    host.kill();
    await host.exited;
    await waitFor(() => isGone(worker), 'the spinning worker to die with its gateway');
  });
});

describe('the bundled worker', () => {
  it('exits when its stdin closes (its pool is gone), even with a tool still waiting', async () => {
    const worker = spawn(process.execPath, [BUNDLED_WORKER_PATH], {
      env: { SANDBOX_TOOLS_DIR: resolve(__dirname, 'fixtures/tools') },
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    leftovers.push(worker.pid ?? 0);
    const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
    worker.stdin.end(`${JSON.stringify({ id: '1', action: 'run', params: { tool: 'wait', args: {} } })}\n`);
    expect(await exited).toBe(0);
  });
});

function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}
