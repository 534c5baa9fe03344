import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DockerRunner, killProcessGroup, SandboxPool, WorkerProcess, type SandboxPoolOptions } from '../src/index.js';
import { clampDelay, MAX_TIMER_DELAY_MS } from '../src/timer-delay.js';
import { FakeDockerEngine } from './fake-docker-engine.js';

// Node fires a timer whose delay is past 2^31-1 ms after 1 ms (vitest's fake timers do the same), so a
// configured "month" became a ping every millisecond, a call that timed out at once, or a worker
// SIGKILLed with no grace.
const toolsDir = resolve(__dirname, 'fixtures/tools');
const tooLong = MAX_TIMER_DELAY_MS + 1;

afterEach(() => {
  vi.useRealTimers();
});

describe('timer delays from configuration', () => {
  const poolOptions: Array<keyof SandboxPoolOptions> = [
    'timeoutMs',
    'queueTimeoutMs',
    'pingIntervalMs',
    'pingTimeoutMs',
    'startTimeoutMs',
    'killGraceMs',
    'restartDelayMs',
    'maxRestartDelayMs',
  ];

  it.each(poolOptions)('SandboxPool.start refuses %s past 2^31-1 ms, not finite, or negative, naming it', async (key) => {
    for (const value of [tooLong, 1e15, Number.POSITIVE_INFINITY, Number.NaN, -1]) {
      const started = SandboxPool.start({ size: 1, toolsDir, isolation: 'none', [key]: value });
      await expect(started, `${key}: ${value}`).rejects.toThrow(RangeError);
      await expect(started).rejects.toThrow(new RegExp(`^${key} must be a number of ms`));
    }
  });

  it('SandboxPool.start refuses a zero timeout or ping interval (a tight loop), but allows a zero grace or restart delay', async () => {
    for (const key of ['timeoutMs', 'queueTimeoutMs', 'pingIntervalMs', 'pingTimeoutMs', 'startTimeoutMs'] as const) {
      await expect(SandboxPool.start({ size: 1, toolsDir, isolation: 'none', [key]: 0 })).rejects.toThrow(new RegExp(`^${key} must be`));
    }
    const pool = await SandboxPool.start({ size: 1, toolsDir, isolation: 'none', killGraceMs: 0, restartDelayMs: 0, maxRestartDelayMs: MAX_TIMER_DELAY_MS });
    try {
      await expect(pool.call('ping', {})).resolves.toBe('pong');
    } finally {
      await pool.close();
    }
  });

  it("WorkerProcess refuses killGraceMs past 2^31-1 ms, naming it, before it spawns anything", () => {
    for (const killGraceMs of [tooLong, Number.NaN, -5]) {
      expect(() => new WorkerProcess({ command: 'definitely-not-a-command', args: [], env: {}, cwd: tmpdir(), killGraceMs })).toThrow(
        /^killGraceMs must be a number of ms/,
      );
    }
  });

  it("DockerRunner refuses timeoutMs past 2^31-1 ms, not finite, zero or negative, naming it", () => {
    for (const timeoutMs of [tooLong, Number.POSITIVE_INFINITY, Number.NaN, 0, -1]) {
      expect(() => new DockerRunner({ timeoutMs })).toThrow(RangeError);
      expect(() => new DockerRunner({ timeoutMs })).toThrow(/^timeoutMs must be a number of ms/);
    }
    expect(() => new DockerRunner({ timeoutMs: MAX_TIMER_DELAY_MS })).not.toThrow();
  });

  it('clampDelay keeps a per-call delay within what Node honours', () => {
    expect(clampDelay(1e15)).toBe(MAX_TIMER_DELAY_MS);
    expect(clampDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_DELAY_MS);
    expect(clampDelay(-3)).toBe(0);
    expect(clampDelay(Number.NaN)).toBe(0);
    expect(clampDelay(1.2)).toBe(2);
  });
});

describe('a per-call timeout of 1e15 ms', () => {
  it('SandboxPool.call: does not time out at once (the worker is neither failed nor killed)', async () => {
    const pool = await SandboxPool.start({ size: 1, toolsDir, isolation: 'none' });
    const [pid] = pool.pids;
    let settled = false;
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const call = pool.call('run', { tool: 'wait', args: {} }, { timeoutMs: 1e15 });
      const outcome = call.then(
        () => 'answered',
        (error: unknown) => error,
      );
      void outcome.then(() => {
        settled = true;
      });
      // The call reaches its worker after a few microtasks (the checkout is a resolved promise).
      for (let i = 0; i < 20 && vi.getTimerCount() === 0; i += 1) await Promise.resolve();
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(24 * 60 * 60 * 1000);
      expect(settled).toBe(false);
      expect(pool.pids).toEqual([pid]);
      vi.useRealTimers();
      killProcessGroup(pid, 'SIGKILL');
      await expect(outcome).resolves.toMatchObject({ code: 'sandbox_crashed' });
    } finally {
      vi.useRealTimers();
      await pool.close();
    }
  });

  it('DockerRunner.run: does not kill the container at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-docker-'));
    const engine = new FakeDockerEngine(join(dir, 'docker.sock'));
    await engine.listen();
    const controller = new AbortController();
    try {
      const runner = new DockerRunner({ docker: new Docker({ socketPath: engine.socketPath }) });
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      let settled = false;
      const outcome = runner.run({ command: ['sleep'], input: {}, timeoutMs: 1e15, signal: controller.signal }).then(
        () => 'answered',
        (error: unknown) => error,
      );
      void outcome.then(() => {
        settled = true;
      });
      // vi.waitFor polls on real timers (advancing the fake clock a little per check): until the
      // runner has armed its timeout, after the container started.
      await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1), { timeout: 10_000 });
      await vi.advanceTimersByTimeAsync(24 * 60 * 60 * 1000);
      expect(settled).toBe(false);
      expect(engine.calls.some((call) => call.path.endsWith('/kill'))).toBe(false);
      vi.useRealTimers();
      controller.abort();
      // The caller left: the container is killed and the run says so.
      await expect(outcome).resolves.toMatchObject({ code: 'sandbox_closed' });
    } finally {
      vi.useRealTimers();
      controller.abort();
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
