import { ContentFilter, RedactionRules } from '@agent-gateway/core';
import { describe, expect, it, vi } from 'vitest';
import { RedisContentRuleStore, RedisRedactionRuleStore, RedisState } from '../src/index.js';
import { cuttableProxy } from './support/cuttable-proxy.js';
import { REDIS, testState } from './support/redis.js';

// Polling is an hour away: only the published change can reach the other process this fast.
const PUBSUB_ONLY = { refreshMs: 3_600_000, maxStalenessMs: 7_200_000 };

async function filterOn(state: RedisState, options = PUBSUB_ONLY): Promise<{ filter: ContentFilter; store: RedisContentRuleStore }> {
  const store = new RedisContentRuleStore(state, options);
  await store.start();
  const filter = new ContentFilter({ store });
  await filter.load();
  return { filter, store };
}

async function rulesOn(state: RedisState): Promise<{ rules: RedactionRules; store: RedisRedactionRuleStore }> {
  const store = new RedisRedactionRuleStore(state, PUBSUB_ONLY);
  await store.start();
  const rules = new RedactionRules(store);
  await rules.load();
  return { rules, store };
}

async function secondConnection(prefix: string): Promise<RedisState> {
  const state = new RedisState({ keyPrefix: prefix });
  await state.connect();
  return state;
}

describe.runIf(REDIS.ok)('content-filter and redaction rules in Redis (real Redis, separate connections)', () => {
  it('a content rule added on one process blocks on another within a second; removed, it stops blocking; concurrent adds all stay', async () => {
    const stateA = await testState();
    const stateB = await secondConnection(stateA.prefix);
    const [a, b] = await Promise.all([filterOn(stateA), filterOn(stateB)]);
    try {
      const rule = await a.filter.add({ kind: 'literal', pattern: 'drop table' }, 'ann');
      await vi.waitFor(() => expect(() => b.filter.check({ q: 'DROP TABLE users' })).toThrow(expect.objectContaining({ code: 'content_blocked' })), { timeout: 1000, interval: 10 });
      await b.filter.remove(rule.id);
      await vi.waitFor(() => expect(() => a.filter.check({ q: 'drop table users' })).not.toThrow(), { timeout: 1000, interval: 10 });
      await expect(a.filter.remove(rule.id)).rejects.toMatchObject({ status: 404 });

      await Promise.all([a.filter.add({ kind: 'literal', pattern: 'one' }, 'ann'), b.filter.add({ kind: 'regex', pattern: 'tw[o]' }, 'bob')]);
      await vi.waitFor(() => expect([a.filter.list().length, b.filter.list().length]).toEqual([2, 2]), { timeout: 1000, interval: 10 });
    } finally {
      a.store.close();
      b.store.close();
      await stateB.close();
      await stateA.cleanup();
    }
  });

  it('content rules fail closed: a process cut off from Redis refuses calls (503) and catches up after', async () => {
    const stateA = await testState();
    const proxy = await cuttableProxy();
    const stateB = new RedisState({ url: proxy.url, keyPrefix: stateA.prefix, redis: { retryStrategy: () => 50 } });
    await stateB.connect();
    const a = await filterOn(stateA);
    const b = await filterOn(stateB);
    try {
      proxy.cut();
      await vi.waitFor(() => expect(() => b.filter.check({ q: 'hello' })).toThrow(expect.objectContaining({ status: 503, code: 'state_unavailable' })));
      await a.filter.add({ kind: 'literal', pattern: 'hello' }, 'ann');
      proxy.restore();
      await vi.waitFor(() => expect(() => b.filter.check({ q: 'hello' })).toThrow(expect.objectContaining({ code: 'content_blocked' })), { timeout: 5000 });
    } finally {
      a.store.close();
      b.store.close();
      await stateB.close();
      await proxy.close();
      await stateA.cleanup();
    }
  });

  it('a redaction rule set on one process applies on another; origins set at once on two processes are both kept', async () => {
    const stateA = await testState();
    const stateC = await secondConnection(stateA.prefix);
    const [a, c] = await Promise.all([rulesOn(stateA), rulesOn(stateC)]);
    try {
      await a.rules.set('https://shop.example', ['card.number']);
      await vi.waitFor(() => expect(c.rules.redact('https://shop.example', { card: { number: '4111' } })).toEqual({ card: { number: '[REDACTED]' } }), { timeout: 1000, interval: 10 });
      await Promise.all([a.rules.set('https://a.example', ['x']), c.rules.set('https://c.example', ['y'])]);
      await vi.waitFor(async () => expect((await a.rules.list()).map((rule) => rule.origin)).toEqual(['https://a.example', 'https://c.example', 'https://shop.example']), { timeout: 1000, interval: 10 });
      await c.rules.set('https://shop.example', []);
      await vi.waitFor(() => expect(a.rules.redact('https://shop.example', { card: { number: '4111' } })).toEqual({ card: { number: '4111' } }), { timeout: 1000, interval: 10 });
      // A fresh process reads what the others wrote.
      const stateD = await secondConnection(stateA.prefix);
      const d = await rulesOn(stateD);
      expect(await d.rules.get('https://c.example')).toEqual({ origin: 'https://c.example', fields: ['y'] });
      d.store.close();
      await stateD.close();
    } finally {
      a.store.close();
      c.store.close();
      await stateC.close();
      await stateA.cleanup();
    }
  });

  it('neither store starts without Redis (503)', async () => {
    const down = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    const content = new RedisContentRuleStore(down);
    const redaction = new RedisRedactionRuleStore(down);
    await expect(content.start()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    await expect(redaction.start()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    expect(() => content.assertCurrent()).toThrow(expect.objectContaining({ status: 503 }));
    content.close();
    redaction.close();
    await down.close();
  });
});
