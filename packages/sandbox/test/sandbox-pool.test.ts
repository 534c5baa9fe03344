import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectBwrap, SandboxError, SandboxPool, type SandboxPoolOptions } from '../src/index.js';

const toolsDir = resolve(__dirname, 'fixtures/tools');
const pools: SandboxPool[] = [];

async function startPool(options: SandboxPoolOptions = {}): Promise<SandboxPool> {
  const pool = await SandboxPool.start({ size: 2, toolsDir, timeoutMs: 3000, restartDelayMs: 10, killGraceMs: 100, ...options });
  pools.push(pool);
  return pool;
}

/** Waits until every worker is back and answering. */
async function fullStrength(pool: SandboxPool): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    const health = await pool.health();
    if (health.healthy) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pool did not recover: ${JSON.stringify(await pool.health())}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const run = (pool: SandboxPool, tool: string, args: unknown = {}) => pool.call('run', { tool, args });

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

describe('SandboxPool with the bundled worker', () => {
  it('answers ping, noop, echo and runs tool modules', async () => {
    const pool = await startPool();
    await expect(pool.call('ping', {})).resolves.toBe('pong');
    await expect(pool.call('noop', {})).resolves.toBeNull();
    await expect(pool.call('echo', { a: [1, 'two'] })).resolves.toEqual({ a: [1, 'two'] });
    await expect(run(pool, 'add', { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
    await expect(pool.call('nope', {})).rejects.toMatchObject({ code: 'worker_error', workerCode: 'unknown_action' });
    await expect(run(pool, '../escape')).rejects.toMatchObject({ code: 'worker_error', workerCode: 'bad_request' });
    expect(await pool.health()).toMatchObject({ healthy: true, alive: 2, size: 2 });
  });

  it('a worker that crashes mid-call fails only that call, and is replaced', async () => {
    const pool = await startPool();
    const before = pool.pids;
    await expect(run(pool, 'crash')).rejects.toMatchObject({ name: 'SandboxError', code: 'sandbox_crashed' });
    await fullStrength(pool);
    expect(pool.pids).not.toEqual(before);
    await expect(pool.call('ping', {})).resolves.toBe('pong');
  });

  it('a hung worker is killed at the timeout and replaced', async () => {
    const pool = await startPool({ timeoutMs: 300 });
    const restarts: number[] = [];
    pool.on('restart', ({ index }) => restarts.push(index));
    const error = await run(pool, 'hang').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('sandbox_timeout');
    await fullStrength(pool);
    expect(restarts).toHaveLength(1);
    await expect(run(pool, 'add', { a: 1, b: 1 })).resolves.toEqual({ sum: 2 });
  });

  it('garbage on stdout and oversize output count as a broken worker', async () => {
    const pool = await startPool();
    await expect(run(pool, 'garbage')).rejects.toMatchObject({ code: 'sandbox_protocol_error' });
    await expect(run(pool, 'big')).rejects.toMatchObject({ code: 'sandbox_output_too_large' });
    await fullStrength(pool);
  });

  it('refuses a request over 256 KiB without harming the worker', async () => {
    const pool = await startPool({ size: 1 });
    const pid = pool.pids[0];
    await expect(pool.call('echo', { big: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({ code: 'sandbox_request_too_large' });
    await expect(pool.call('echo', 'small')).resolves.toBe('small');
    expect(pool.pids[0]).toBe(pid);
  });

  it('500 calls over 2 workers, one in ten crashing its worker: exactly those fail, every other call gets its own answer, the pool ends at full strength', async () => {
    const pool = await startPool({ restartDelayMs: 1, maxQueue: 1000 });
    const restarts: number[] = [];
    pool.on('restart', ({ index }) => restarts.push(index));
    const outcomes = await Promise.allSettled(Array.from({ length: 500 }, (_, n) => run(pool, 'crash-on-nines', { n })));
    // A crash costs the call that caused it and no other: nothing queued behind it, nothing on the other worker.
    outcomes.forEach((outcome, n) => {
      if (n % 10 === 9) expect(outcome, `call ${n}`).toMatchObject({ status: 'rejected', reason: { name: 'SandboxError', code: 'sandbox_crashed' } });
      else expect(outcome, `call ${n}`).toEqual({ status: 'fulfilled', value: { n } });
    });
    await fullStrength(pool);
    expect(restarts).toHaveLength(50);
    expect((await pool.health()).details.restarts).toBe(50);
  });

  it('queues when all workers are busy, and refuses past the bound with sandbox_busy', async () => {
    const pool = await startPool({ size: 1, maxQueue: 2, timeoutMs: 400 });
    const calls = [run(pool, 'hang'), pool.call('ping', {}), pool.call('ping', {})];
    await expect(pool.call('ping', {})).rejects.toMatchObject({ code: 'sandbox_busy' });
    const [hung, ...queued] = await Promise.allSettled(calls);
    expect(hung).toMatchObject({ status: 'rejected', reason: { code: 'sandbox_timeout' } });
    expect(queued.map((q) => q.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('refuses a call whose caller has gone already, though a worker is free', async () => {
    const pool = await startPool({ size: 1 });
    const controller = new AbortController();
    controller.abort();
    await expect(pool.call('echo', 'for nobody', { signal: controller.signal })).rejects.toMatchObject({ code: 'sandbox_closed' });
    await expect(pool.call('echo', 'for someone', { signal: new AbortController().signal })).resolves.toBe('for someone');
    expect(await pool.health()).toMatchObject({ healthy: true, details: { queued: 0 } });
  });

  it('gives workers nothing of the gateway environment', async () => {
    process.env.GATEWAY_TEST_SECRET = 'sk-live-do-not-leak';
    try {
      const pool = await startPool({ size: 1 });
      const env = (await run(pool, 'env')) as Record<string, string>;
      expect(JSON.stringify(env)).not.toContain('sk-live-do-not-leak');
      expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(['HOME', 'PATH', 'SANDBOX_TOOLS_DIR']));
      // PWD is set by bubblewrap's --chdir when it is in use.
      for (const key of Object.keys(env)) expect(['HOME', 'LANG', 'PATH', 'PWD', 'SANDBOX_TOOLS_DIR', 'TMPDIR']).toContain(key);
    } finally {
      delete process.env.GATEWAY_TEST_SECRET;
    }
  });

  describe('the permission model', () => {
    let outside: string;
    beforeAll(async () => {
      outside = await mkdtemp(join(tmpdir(), 'outside-'));
      await writeFile(join(outside, 'secret.txt'), 'top secret');
    });
    afterAll(async () => {
      await rm(outside, { recursive: true, force: true });
    });

    it('denies reading and writing outside the scratch directory, allows both inside it', async () => {
      const pool = await startPool({ size: 1, isolation: 'none' });
      const denied = await run(pool, 'read-file', { path: join(outside, 'secret.txt') }).catch((e: unknown) => e);
      expect(denied).toMatchObject({ code: 'worker_error', workerCode: 'ERR_ACCESS_DENIED' });
      await expect(run(pool, 'write-file', { path: join(outside, 'planted.txt'), content: 'x' })).rejects.toMatchObject({
        workerCode: 'ERR_ACCESS_DENIED',
      });
      await expect(run(pool, 'write-file', { path: 'note.txt', content: 'mine' })).resolves.toBe('written');
      await expect(run(pool, 'read-file', { path: 'note.txt' })).resolves.toBe('mine');
      await expect(readFile(join(outside, 'planted.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await pool.health()).details.isolation).toMatchObject({ permissionModel: true, heapLimitMb: 128 });
    });
  });

  const bwrap = detectBwrap();
  if (!bwrap.usable) console.warn(`skipped: bubblewrap isolation tests (${bwrap.reason})`);
  describe.skipIf(!bwrap.usable)(`bubblewrap (${bwrap.usable ? 'usable here' : `skipped: ${bwrap.reason}`})`, () => {
    it('cuts the network and hides the host /tmp', async () => {
      const server = createServer((socket) => socket.end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      const secretDir = await mkdtemp(join(tmpdir(), 'host-tmp-'));
      await writeFile(join(secretDir, 'x.txt'), 'host file');
      try {
        const pool = await startPool({ size: 1, isolation: 'bwrap' });
        expect((await pool.health()).details.isolation.bwrap).toBe(true);
        await expect(run(pool, 'connect', { port })).resolves.toMatch(/^refused/);
        await expect(run(pool, 'read-file', { path: join(secretDir, 'x.txt') })).rejects.toMatchObject({ code: 'worker_error' });
        await expect(pool.call('ping', {})).resolves.toBe('pong');
      } finally {
        server.close();
        await rm(secretDir, { recursive: true, force: true });
      }
    });
  });

  it('close() drains, refuses new calls, and leaves no process behind', async () => {
    const pool = await startPool({ size: 2 });
    const pids = pool.pids;
    expect(pids).toHaveLength(2);
    const running = run(pool, 'add', { a: 1, b: 2 });
    await pool.close();
    await expect(running).resolves.toEqual({ sum: 3 });
    await expect(pool.call('ping', {})).rejects.toMatchObject({ code: 'sandbox_closed' });
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
  });
});

describe('SandboxPool with the Python worker', () => {
  it('round-trips ping, echo and its own action', async () => {
    const pool = await startPool({ workerPath: resolve(__dirname, '../../../examples/python-worker/worker.py') });
    await expect(pool.call('ping', {})).resolves.toBe('pong');
    await expect(pool.call('echo', { nested: [1, { two: 2 }] })).resolves.toEqual({ nested: [1, { two: 2 }] });
    await expect(pool.call('word_count', { text: 'three little words' })).resolves.toEqual({ words: 3 });
    await expect(pool.call('word_count', {})).rejects.toMatchObject({ code: 'worker_error', workerCode: 'tool_error' });
    expect((await pool.health()).details.isolation).toMatchObject({ permissionModel: false });
  });
});
