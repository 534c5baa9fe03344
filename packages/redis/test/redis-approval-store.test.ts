import { randomUUID } from 'node:crypto';
import type { Approval } from '@agent-gateway/core';
import { describe, expect, it } from 'vitest';
import { RedisApprovalStore, RedisState } from '../src/index.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

function approval(overrides: Partial<Approval> = {}): Approval {
  const args = { path: '/tmp/x', list: [], nested: { empty: {}, n: 1.5, big: 12345678901234 } };
  return {
    id: randomUUID(),
    callId: randomUUID(),
    tool: 'fs.delete',
    args,
    digest: 'a'.repeat(64),
    caller: { kind: 'user', id: 'alice', role: 'agent' },
    state: 'pending',
    createdAt: new Date(Date.now()).toISOString(),
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ...overrides,
  };
}

/** Three connections on one prefix: three processes. */
async function threeProcesses(): Promise<{ stores: RedisApprovalStore[]; states: RedisState[]; cleanup(): Promise<void> }> {
  const first = await testState();
  const others = [new RedisState({ url: REDIS_URL, keyPrefix: first.prefix }), new RedisState({ url: REDIS_URL, keyPrefix: first.prefix })];
  await Promise.all(others.map((state) => state.connect()));
  const states = [first, ...others];
  return {
    states,
    stores: states.map((state) => new RedisApprovalStore(state)),
    async cleanup() {
      await Promise.all(others.map((state) => state.close()));
      await first.cleanup();
    },
  };
}

describe.runIf(REDIS.ok)('RedisApprovalStore (real Redis)', () => {
  it('reads on one process what another inserted, args exactly as they were', async () => {
    const { stores, cleanup } = await threeProcesses();
    try {
      const held = approval();
      await stores[0]!.insert(held);
      const read = await stores[1]!.get(held.id);
      expect(read).toEqual(held);
      // Lua never decodes them: an empty array stays an array, big numbers stay exact.
      expect(read?.args).toStrictEqual(held.args);
      await expect(stores[2]!.insert(held)).rejects.toThrow(/exists/);
      expect(await stores[2]!.get('nope')).toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  it('of 100 concurrent approves over 3 connections exactly one wins', async () => {
    const { stores, cleanup } = await threeProcesses();
    try {
      const held = approval();
      await stores[0]!.insert(held);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          stores[i % 3]!.transition(held.id, ['pending'], { state: 'approved', decision: { by: `approver-${i}`, at: new Date().toISOString() } }),
        ),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(winner.ok && winner.approval.state).toBe('approved');
      for (const lost of results.filter((r) => !r.ok)) expect(lost.ok ? undefined : lost.current?.state).toBe('approved');
      const stored = await stores[2]!.get(held.id);
      expect(stored?.decision).toEqual(winner.ok ? winner.approval.decision : undefined);
      expect(stored?.args).toEqual(held.args);
    } finally {
      await cleanup();
    }
  });

  it('lists by state, oldest first, and moves an approval between states', async () => {
    const { stores, cleanup } = await threeProcesses();
    try {
      const older = approval({ createdAt: new Date(Date.now() - 5000).toISOString() });
      const newer = approval();
      await stores[0]!.insert(newer);
      await stores[1]!.insert(older);
      expect((await stores[2]!.list()).map((a) => a.id)).toEqual([older.id, newer.id]);
      expect((await stores[2]!.list({ state: 'pending' })).map((a) => a.id)).toEqual([older.id, newer.id]);
      await stores[1]!.transition(newer.id, ['pending'], { state: 'rejected' });
      expect((await stores[0]!.list({ state: 'pending' })).map((a) => a.id)).toEqual([older.id]);
      expect((await stores[0]!.list({ state: 'rejected' })).map((a) => a.id)).toEqual([newer.id]);
      expect(await stores[0]!.list({ state: 'approved' })).toEqual([]);
      const missing = await stores[0]!.transition('nope', ['pending'], { state: 'approved' });
      expect(missing).toEqual({ ok: false, current: undefined });
    } finally {
      await cleanup();
    }
  });

  it('prunes finished approvals, never pending or running ones', async () => {
    const { stores, cleanup } = await threeProcesses();
    try {
      const done = approval();
      const waiting = approval();
      const running = approval();
      for (const a of [done, waiting, running]) await stores[0]!.insert(a);
      await stores[0]!.transition(done.id, ['pending'], { state: 'expired' });
      await stores[0]!.transition(running.id, ['pending'], { state: 'approved' });
      expect(await stores[1]!.prune(Date.now() - 60_000)).toBe(0);
      expect(await stores[1]!.prune(Date.now() + 1)).toBe(1);
      expect(await stores[2]!.get(done.id)).toBeUndefined();
      expect((await stores[2]!.list()).map((a) => a.id).sort()).toEqual([waiting.id, running.id].sort());
      expect(await stores[2]!.list({ state: 'expired' })).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('RedisApprovalStore without a server', () => {
  it('fails closed with 503 state_unavailable: nothing is created or decided', async () => {
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    try {
      await state.connect().catch(() => undefined);
      const store = new RedisApprovalStore(state);
      const held = approval();
      const unavailable = { status: 503, code: 'state_unavailable' };
      await expect(store.insert(held)).rejects.toMatchObject(unavailable);
      await expect(store.get(held.id)).rejects.toMatchObject(unavailable);
      await expect(store.list()).rejects.toMatchObject(unavailable);
      await expect(store.transition(held.id, ['pending'], { state: 'approved' })).rejects.toMatchObject(unavailable);
      await expect(store.prune(Date.now())).rejects.toMatchObject(unavailable);
    } finally {
      await state.close();
    }
  });
});
