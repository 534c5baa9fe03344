import { describe, expect, it } from 'vitest';
import { KillSwitch, type KillSwitchState, type KillSwitchStore } from '../../src/guards/kill-switch.js';
import { MemoryRateLimitStore, RateLimiter } from '../../src/guards/rate-limiter.js';
import { GatewayError, type Caller } from '../../src/index.js';

/** A shared kill-switch store as another process would see it. */
class SharedStore implements KillSwitchStore {
  saved: KillSwitchState[] = [];
  listener: ((state: KillSwitchState) => void) | undefined;
  unreadable = false;
  async load(): Promise<KillSwitchState | undefined> {
    return this.saved.at(-1);
  }
  async save(state: KillSwitchState): Promise<void> {
    this.saved.push(state);
  }
  watch(onChange: (state: KillSwitchState) => void): () => void {
    this.listener = onChange;
    return () => {
      this.listener = undefined;
    };
  }
  assertCurrent(): void {
    if (this.unreadable) throw new GatewayError('state_unavailable', 'the shared kill switch cannot be read');
  }
}

describe('KillSwitch', () => {
  it('is off until set; a set reaches the shared store first, with its reason only when given', async () => {
    const store = new SharedStore();
    const killSwitch = new KillSwitch({ store });
    expect(killSwitch.state).toEqual({ enabled: false });
    await killSwitch.set(true, 'incident 42', 'admin');
    expect(store.saved).toEqual([{ enabled: true, reason: 'incident 42', changed_at: expect.any(String), changed_by: 'admin' }]);
    await killSwitch.set(false, undefined, 'admin');
    expect(store.saved[1]).toStrictEqual({ enabled: false, changed_at: expect.any(String), changed_by: 'admin' });
    expect(killSwitch.enabled).toBe(false);
  });

  it('loads what another process set, follows its changes, and stops following when closed', async () => {
    const store = new SharedStore();
    store.saved.push({ enabled: true, reason: 'set elsewhere' });
    const killSwitch = new KillSwitch({ store });
    await killSwitch.load();
    expect(killSwitch.state).toEqual({ enabled: true, reason: 'set elsewhere' });
    store.listener?.({ enabled: false });
    expect(killSwitch.enabled).toBe(false);
    await killSwitch.load();
    expect(store.listener).toBeDefined();
    killSwitch.close();
    expect(store.listener).toBeUndefined();
  });

  it('works with a store that can neither watch nor say it is current, and without any store or file', async () => {
    const saved: KillSwitchState[] = [];
    const minimal: KillSwitchStore = { load: async () => saved.at(-1), save: async (state) => void saved.push(state) };
    const killSwitch = new KillSwitch({ store: minimal });
    killSwitch.close();
    await killSwitch.load();
    expect(() => killSwitch.assertCurrent()).not.toThrow();
    expect(killSwitch.state).toEqual({ enabled: false });
    await killSwitch.set(true, undefined, 'admin');
    expect(saved).toHaveLength(1);
    const bare = new KillSwitch();
    await bare.load();
    expect(bare.state).toEqual({ enabled: false });
  });

  it('a shared switch that cannot be read refuses rather than allows', () => {
    const store = new SharedStore();
    const killSwitch = new KillSwitch({ store });
    expect(() => killSwitch.assertCurrent()).not.toThrow();
    store.unreadable = true;
    expect(() => killSwitch.assertCurrent()).toThrow('the shared kill switch cannot be read');
    // A switch without a shared store is always current.
    expect(() => new KillSwitch().assertCurrent()).not.toThrow();
  });
});

describe('RateLimiter', () => {
  const agent: Caller = { kind: 'user', id: 'bot', role: 'agent', tokenId: 't-1' };

  it('limits per token by role, per tool when configured, and tells the wait in whole seconds, at least one', async () => {
    const clock = { now: 0 };
    const limiter = new RateLimiter({ perToken: { agent: { perMinute: 60, burst: 2 } }, perTool: { slow: { perMinute: 1 } }, now: () => clock.now });
    await limiter.check(agent, 'echo');
    await limiter.check(agent, 'echo');
    // Empty: the next token comes in a second.
    await expect(limiter.check(agent, 'echo')).rejects.toMatchObject({ code: 'rate_limited', headers: { 'retry-after': '1' }, details: { scope: 'token' } });
    clock.now += 1000;
    await limiter.check(agent, 'echo');
    // Another token of the same user has its own bucket; the tool's own limit applies per caller.
    const other: Caller = { ...agent, tokenId: 't-2' };
    await limiter.check(other, 'slow');
    await expect(limiter.check(other, 'slow')).rejects.toMatchObject({ headers: { 'retry-after': '60' }, details: { scope: 'tool slow' } });
    // A caller without a role gets the default per-token limit (600 a minute), not the agent's.
    const roleless: Caller = { kind: 'user', id: 'x', tokenId: 't-3' };
    for (let i = 0; i < 10; i += 1) await limiter.check(roleless, 'echo');
  });

  it('callers without a token id are told apart by name, and a tool limit is per caller and per tool', async () => {
    const limiter = new RateLimiter({ perToken: { agent: { perMinute: 1 } }, perTool: { slow: { perMinute: 1 }, other: { perMinute: 1 } } });
    const ann: Caller = { kind: 'user', id: 'ann', role: 'agent' };
    const ben: Caller = { kind: 'user', id: 'ben', role: 'agent' };
    await limiter.check(ann, 'echo');
    await limiter.check(ben, 'echo');
    await expect(limiter.check(ann, 'echo')).rejects.toMatchObject({ details: { scope: 'token' } });
    const wide = new RateLimiter({ perToken: { agent: { perMinute: 100 } }, perTool: { slow: { perMinute: 1 }, other: { perMinute: 1 } } });
    await wide.check(ann, 'slow');
    await wide.check(ben, 'slow');
    await wide.check(ann, 'other');
    await expect(wide.check(ann, 'slow')).rejects.toMatchObject({ details: { scope: 'tool slow' } });
  });

  it('a limit of 0 a minute is no limit; system callers are never limited', async () => {
    const limiter = new RateLimiter({ global: { perMinute: 0 }, perToken: { agent: { perMinute: 0 } } });
    for (let i = 0; i < 700; i += 1) await limiter.check(agent, 'echo');
    const strict = new RateLimiter({ global: { perMinute: 1 } });
    await strict.check({ kind: 'system', id: 'scheduler' }, 'echo');
    await strict.check({ kind: 'system', id: 'scheduler' }, 'echo');
    await strict.check(agent, 'echo');
    await expect(strict.check(agent, 'echo')).rejects.toMatchObject({ details: { scope: 'global' } });
  });

  it('the memory store forgets the oldest bucket past its bound, and a forgotten bucket starts full', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const spec = { perMinute: 1 };
    expect(await store.take('a', spec, 0)).toEqual({ allowed: true, retryAfterMs: 0 });
    expect(await store.take('a', spec, 0)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    await store.take('b', spec, 0);
    expect(await store.take('a', spec, 30_000)).toEqual({ allowed: false, retryAfterMs: 30_000 });
    // Two more keys push out the oldest, a: it comes back full.
    await store.take('c', spec, 30_000);
    await store.take('d', spec, 30_000);
    expect(await store.take('a', spec, 30_000)).toEqual({ allowed: true, retryAfterMs: 0 });
  });
});
