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

  it('passes on errors that are not a timeout', () => {
    const throwing = /a/;
    Object.defineProperty(throwing, 'exec', {
      value: () => {
        throw new RangeError('not a timeout');
      },
    });
    expect(() => timeLimitedTest(throwing, 'a', 50)).toThrow('not a timeout');
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
