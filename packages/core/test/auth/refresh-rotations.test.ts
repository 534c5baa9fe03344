import { describe, expect, it } from 'vitest';
import { RefreshRotations, type Rotation } from '../../src/auth/refresh-rotations.js';

// The refresh grace window on its own (issue 24, mutation testing): its length to the millisecond, the
// bound on what it remembers, and what a failed rotation leaves behind.
const rotation = (name: string): Rotation<string> => ({ pair: name, refreshTokenId: `${name}-id` });

describe('RefreshRotations', () => {
  it('refuses a window that is negative or not finite; 0 is allowed', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new RefreshRotations(bad, () => 0)).toThrow(new RangeError('the refresh grace window must be 0 or more'));
    expect(new RefreshRotations(0, () => 0).graceMs).toBe(0);
  });

  it('a rotation is found for exactly graceMs after it started, not a millisecond longer', async () => {
    const clock = { now: 1000 };
    const rotations = new RefreshRotations<string>(500, () => clock.now);
    const made = rotations.start('t1', async () => rotation('first'));
    expect(rotations.recent('t1')).toBe(made);
    expect(rotations.rotated('t1')).toBe(true);
    expect(rotations.recent('t2')).toBeUndefined();
    clock.now = 1499;
    await expect(rotations.recent('t1')).resolves.toEqual(rotation('first'));
    clock.now = 1500;
    expect(rotations.recent('t1')).toBeUndefined();
    expect(rotations.rotated('t1')).toBe(false);
  });

  it('with a window of 0 nothing is remembered', async () => {
    const rotations = new RefreshRotations<string>(0, () => 0);
    await expect(rotations.start('t1', async () => rotation('first'))).resolves.toEqual(rotation('first'));
    expect(rotations.recent('t1')).toBeUndefined();
  });

  it('starting one rotation keeps the others still in their window, and drops the expired ones', async () => {
    const clock = { now: 0 };
    const rotations = new RefreshRotations<string>(1000, () => clock.now);
    void rotations.start('a', async () => rotation('a'));
    clock.now = 600;
    void rotations.start('b', async () => rotation('b'));
    expect(rotations.rotated('a')).toBe(true);
    clock.now = 1200; // a expired, b not
    void rotations.start('c', async () => rotation('c'));
    expect(rotations.rotated('a')).toBe(false);
    expect(rotations.rotated('b')).toBe(true);
    expect(rotations.rotated('c')).toBe(true);
  });

  it('remembers at most 10,000 rotations: the oldest goes first, even within its window', () => {
    const rotations = new RefreshRotations<string>(60_000, () => 0);
    for (let i = 0; i <= 10_000; i += 1) void rotations.start(`t${i}`, async () => rotation(`${i}`));
    expect(rotations.rotated('t0')).toBe(false);
    expect(rotations.rotated('t1')).toBe(true);
    expect(rotations.rotated('t10000')).toBe(true);
  });

  it('a failed rotation is forgotten, so the next presentation is checked again', async () => {
    const rotations = new RefreshRotations<string>(60_000, () => 0);
    const failed = rotations.start('t1', async () => {
      throw new Error('store down');
    });
    await expect(failed).rejects.toThrow('store down');
    expect(rotations.recent('t1')).toBeUndefined();
  });

  it("a failed rotation does not forget the newer rotation that took its place", async () => {
    const clock = { now: 0 };
    const rotations = new RefreshRotations<string>(1000, () => clock.now);
    let fail: (error: Error) => void = () => undefined;
    const first = rotations.start('t1', () => new Promise<Rotation<string>>((_resolve, reject) => (fail = reject)));
    clock.now = 1000; // its window is over: the token is presented again and rotated anew
    expect(rotations.recent('t1')).toBeUndefined();
    const second = rotations.start('t1', async () => rotation('second'));
    fail(new Error('late failure'));
    await expect(first).rejects.toThrow('late failure');
    expect(rotations.recent('t1')).toBe(second);
  });

  it('a failure that comes after its entry was dropped is ignored', async () => {
    const clock = { now: 0 };
    const rotations = new RefreshRotations<string>(1000, () => clock.now);
    let fail: (error: Error) => void = () => undefined;
    const first = rotations.start('t1', () => new Promise<Rotation<string>>((_resolve, reject) => (fail = reject)));
    clock.now = 1000;
    expect(rotations.recent('t1')).toBeUndefined(); // dropped
    fail(new Error('late failure'));
    await expect(first).rejects.toThrow('late failure');
    // Nothing else (an unhandled rejection from the cleanup would fail the run).
    await new Promise((r) => setTimeout(r, 0));
    expect(rotations.recent('t1')).toBeUndefined();
  });
});
