import { describe, expect, it } from 'vitest';
import { HashSlots } from '../../src/auth/hash-slots.js';
import { AuthBusyError } from '../../src/index.js';

/** A task the test finishes by hand, recording when it started. */
function gate(log: string[], name: string): { task: () => Promise<string>; finish: () => void; fail: (error: Error) => void } {
  let finish = (): void => undefined;
  let fail = (_error: Error): void => undefined;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    task: () => {
      log.push(name);
      return done;
    },
    finish: () => finish(),
    fail: (error) => fail(error),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Refused at once: rejected with AuthBusyError before a timer tick, never left waiting for a slot. */
async function expectRefusedAtOnce(run: Promise<unknown>): Promise<void> {
  const outcome = await Promise.race([run.then(() => 'ran', (error: unknown) => error), tick().then(() => 'still waiting')]);
  expect(outcome).toBeInstanceOf(AuthBusyError);
}

describe('HashSlots options', () => {
  it('defaults to 2 at once and 32 waiting', () => {
    const slots = new HashSlots();
    expect([slots.maxConcurrent, slots.maxQueued]).toEqual([2, 32]);
    expect([new HashSlots({ maxConcurrent: 1, maxQueued: 0 }).maxConcurrent, new HashSlots({ maxConcurrent: 1, maxQueued: 0 }).maxQueued]).toEqual([1, 0]);
  });

  it('refuses a concurrency below 1 or not whole, and a queue below 0 or not whole', () => {
    for (const maxConcurrent of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new HashSlots({ maxConcurrent })).toThrow(new RangeError('maxConcurrent must be a whole number of at least 1'));
    }
    for (const maxQueued of [-1, 0.5, Number.NaN]) {
      expect(() => new HashSlots({ maxQueued })).toThrow(new RangeError('maxQueued must be a whole number of at least 0'));
    }
  });
});

describe('HashSlots.run', () => {
  it('runs up to maxConcurrent at once, queues up to maxQueued, and refuses one more at once with auth_busy', async () => {
    const slots = new HashSlots({ maxConcurrent: 2, maxQueued: 1 });
    const log: string[] = [];
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    const results = [slots.run(a.task), slots.run(b.task), slots.run(c.task)];
    await tick();
    expect(log).toEqual(['a', 'b']);
    await expectRefusedAtOnce(slots.run(async () => 'd'));
    a.finish();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']);
    b.finish();
    c.finish();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('with no queue, the first call over the limit is refused', async () => {
    const slots = new HashSlots({ maxConcurrent: 1, maxQueued: 0 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const first = slots.run(a.task);
    await expectRefusedAtOnce(slots.run(async () => 'b'));
    a.finish();
    await first;
    await expect(slots.run(async () => 'c')).resolves.toBe('c');
  });

  it('waiters get the slot in arrival order, and a newcomer cannot jump ahead of them', async () => {
    const slots = new HashSlots({ maxConcurrent: 1, maxQueued: 3 });
    const log: string[] = [];
    const gates = ['a', 'b', 'c'].map((name) => gate(log, name));
    const runs = gates.map((g) => slots.run(g.task));
    await tick();
    gates[0]?.finish();
    // Arrives while b is being handed the slot.
    const late = gate(log, 'late');
    runs.push(slots.run(late.task));
    await tick();
    expect(log).toEqual(['a', 'b']);
    gates[1]?.finish();
    await tick();
    gates[2]?.finish();
    await tick();
    late.finish();
    await Promise.all(runs);
    expect(log).toEqual(['a', 'b', 'c', 'late']);
  });

  it('a failed task gives its slot back and its error to its caller; the slots stay usable', async () => {
    const slots = new HashSlots({ maxConcurrent: 1, maxQueued: 1 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const first = slots.run(a.task);
    const second = slots.run(async () => 'b');
    a.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('b');
    for (let round = 0; round < 3; round += 1) {
      const x = gate(log, `x${round}`);
      const y = gate(log, `y${round}`);
      const running = slots.run(x.task);
      const waiting = slots.run(y.task);
      await expectRefusedAtOnce(slots.run(async () => 'z'));
      x.finish();
      y.finish();
      await Promise.all([running, waiting]);
    }
  });

  it('once every task is done, all slots are free again', async () => {
    const slots = new HashSlots({ maxConcurrent: 2, maxQueued: 0 });
    await slots.run(async () => 1);
    await slots.run(async () => 2);
    const log: string[] = [];
    const [a, b] = [gate(log, 'a'), gate(log, 'b')];
    const both = [slots.run(a.task), slots.run(b.task)];
    await tick();
    expect(log).toEqual(['a', 'b']);
    await expectRefusedAtOnce(slots.run(async () => 'c'));
    a.finish();
    b.finish();
    await Promise.all(both);
  });
});
