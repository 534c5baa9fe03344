import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { timeLimitedTest } from '../../src/regex/index.js';

const fixture = fileURLToPath(new URL('./fixtures/match-loop.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timeLimitedTest', () => {
  it('answers as regex.test does', () => {
    expect(timeLimitedTest(/^a+$/, 'aaa', 50)).toBe(true);
    expect(timeLimitedTest(/^a+$/, 'aab', 50)).toBe(false);
    expect(timeLimitedTest(/b/i, 'aBc', 50)).toBe(true);
  });

  it('gives up on a match that backtracks catastrophically, with the vm timeout error', () => {
    // 2^40 steps without the limit: the test would never finish.
    expect(() => timeLimitedTest(/^(a+)+$/, `${'a'.repeat(40)}!`, 20)).toThrow(expect.objectContaining({ code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' }));
    // What it was given afterwards still runs.
    expect(timeLimitedTest(/^(a+)+$/, 'aaaa', 20)).toBe(true);
  });

  it('passes on an error that is not a timeout at once, without trying again', () => {
    let calls = 0;
    const throwing = /a/;
    Object.defineProperty(throwing, 'exec', {
      value: () => {
        calls += 1;
        throw new RangeError('not a timeout');
      },
    });
    expect(() => timeLimitedTest(throwing, 'a', 50)).toThrow('not a timeout');
    expect(calls).toBe(1);
  });

  it('passes on anything else a match throws as it is, once: not an object, null, an object without a code or with another', () => {
    for (const thrown of ['a string', 42, null, undefined, {}, { code: 'ERR_OTHER' }]) {
      let calls = 0;
      const throwing = /a/;
      Object.defineProperty(throwing, 'exec', {
        value: () => {
          calls += 1;
          throw thrown;
        },
      });
      let caught: unknown = 'nothing thrown';
      try {
        timeLimitedTest(throwing, 'a', 50);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBe(thrown);
      expect(calls).toBe(1);
    }
  });
});

/**
 * A regex whose first `blockedRuns` matches sit blocked (Atomics.wait: time passes, no CPU is used,
 * and the vm's timeout interrupts it) as a match does in a process the machine does not schedule.
 */
class UnscheduledRegExp extends RegExp {
  runs = 0;
  constructor(private readonly blockedRuns: number) {
    super('^a+$');
  }
  override test(input: string): boolean {
    this.runs += 1;
    if (this.runs <= this.blockedRuns) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
    return super.test(input);
  }
}

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** A regex whose matches spin, using CPU time, as a catastrophic backtrack does; notes the CPU time each run starts at. */
class SpinningRegExp extends RegExp {
  readonly startedAtCpuMs: number[] = [];
  constructor() {
    super('^a+$');
  }
  override test(): boolean {
    this.startedAtCpuMs.push(cpuMs());
    for (;;) {
      // Spins until the vm's timeout interrupts it.
    }
  }
}

describe('a match that ran out of time', () => {
  it('without using its CPU time (the process was not scheduled) is run again and answers', () => {
    // (At least: on a loaded machine the answering run may itself go unscheduled past the limit.)
    const regex = new UnscheduledRegExp(2);
    expect(timeLimitedTest(regex, 'aaa', 50)).toBe(true);
    expect(regex.runs).toBeGreaterThanOrEqual(3);
    const failing = new UnscheduledRegExp(1);
    expect(timeLimitedTest(failing, 'aab', 50)).toBe(false);
    expect(failing.runs).toBeGreaterThanOrEqual(2);
  });

  it('is given up on after five runs, even when none used its CPU time', () => {
    const regex = new UnscheduledRegExp(Number.POSITIVE_INFINITY);
    expect(() => timeLimitedTest(regex, 'aaa', 30)).toThrow(expect.objectContaining({ code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' }));
    expect(regex.runs).toBe(5);
  });

  it('having used its CPU time is given up on: run again only while the runs so far used less than the limit', () => {
    const limitMs = 30;
    const regex = new SpinningRegExp();
    const start = cpuMs();
    expect(() => timeLimitedTest(regex, 'aaa', limitMs)).toThrow(expect.objectContaining({ code: 'ERR_SCRIPT_EXECUTION_TIMEOUT' }));
    const used = cpuMs() - start;
    // On a quiet machine the first run uses its 30 ms and is the only one; on a loaded one a spinning
    // run is not scheduled all of its 30 ms either, and is run again until the runs add up to the limit.
    const [, ...again] = regex.startedAtCpuMs;
    // (5 ms: what the check and the next run's start take.)
    for (const startedAt of again) expect(startedAt - start).toBeLessThan(limitMs + 5);
    expect(regex.startedAtCpuMs.length === 5 || used >= limitMs).toBe(true);
  });
});

/** Runs the fixture's match loop, stopping and continuing it `cycles` times; its counts. */
async function matchWhileStopped(mode: 'raw' | 'limited', cycles: number): Promise<{ runs: number; timeouts: number }> {
  const child = fork(fixture, [mode], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const counts = new Promise<{ runs: number; timeouts: number }>((resolve, reject) => {
      child.on('message', (message) => {
        if (message !== 'ready') resolve(message as { runs: number; timeouts: number });
      });
      child.once('exit', (code) => reject(new Error(`match loop exited with ${code}`)));
    });
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      await sleep(60);
      child.kill('SIGSTOP');
      // Longer than the 50 ms limit: a match under way when the process stopped outlives it.
      await sleep(120);
      child.kill('SIGCONT');
    }
    await sleep(60);
    child.send('stop');
    return await counts;
  } finally {
    child.kill('SIGCONT');
    child.kill();
  }
}

describe('a short match on a process the machine does not schedule', () => {
  it('is not refused: the limit is on CPU time, not on the wall-clock time the process sat stopped', async () => {
    const limited = await matchWhileStopped('limited', 8);
    expect(limited.runs).toBeGreaterThan(0);
    expect(limited.timeouts).toBe(0);
  });

  it('the control: the vm wall-clock limit alone, as both checks used it, refuses some of those matches', async () => {
    // Shows the stops land inside matches, so the test above could fail.
    const raw = await matchWhileStopped('raw', 8);
    expect(raw.runs).toBeGreaterThan(0);
    expect(raw.timeouts).toBeGreaterThan(0);
  });
});
