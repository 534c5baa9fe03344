import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clampDelay, MAX_TIMER_DELAY_MS, setLongTimeout } from '../../src/index.js';

const DAY = 86_400_000;

describe('clampDelay', () => {
  it.each([
    [5000, 0, 5000],
    [1.2, 0, 2],
    [-5, 0, 0],
    [0, 1, 1],
    [Number.NaN, 1000, 1000],
    [2 ** 31, 0, MAX_TIMER_DELAY_MS],
    [1e15, 0, MAX_TIMER_DELAY_MS],
    [Number.POSITIVE_INFINITY, 0, MAX_TIMER_DELAY_MS],
  ])('clampDelay(%j, %j) = %j', (ms, min, expected) => {
    expect(clampDelay(ms, min)).toBe(expected);
  });
});

describe('setLongTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires once, after a wait longer than the timer maximum, not after 1 ms', async () => {
    const fired = vi.fn();
    setLongTimeout(fired, 60 * DAY);
    await vi.advanceTimersByTimeAsync(59 * DAY);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(DAY);
    expect(fired).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(365 * DAY);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('keeps at most one timer pending, each within the maximum', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    setLongTimeout(() => undefined, 100 * DAY);
    expect(vi.getTimerCount()).toBe(1);
    expect(spy.mock.calls.every(([, delay]) => typeof delay === 'number' && delay <= MAX_TIMER_DELAY_MS)).toBe(true);
    spy.mockRestore();
  });

  it('clear() cancels it, in any link of the chain', async () => {
    const fired = vi.fn();
    const wait = setLongTimeout(fired, 60 * DAY);
    await vi.advanceTimersByTimeAsync(30 * DAY);
    wait.clear();
    wait.clear();
    await vi.advanceTimersByTimeAsync(60 * DAY);
    expect(fired).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('Infinity never fires; NaN and negatives fire at once, as setTimeout does', async () => {
    const never = vi.fn();
    const soon = vi.fn();
    setLongTimeout(never, Number.POSITIVE_INFINITY);
    setLongTimeout(soon, Number.NaN);
    setLongTimeout(soon, -1);
    await vi.advanceTimersByTimeAsync(10);
    expect(soon).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1000 * DAY);
    expect(never).not.toHaveBeenCalled();
  });

  it('a short wait is one ordinary timer', async () => {
    const fired = vi.fn();
    setLongTimeout(fired, 1500);
    await vi.advanceTimersByTimeAsync(1499);
    expect(fired).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});
