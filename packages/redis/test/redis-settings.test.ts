import { Gateway, silentLogger, systemCaller } from '@agent-gateway/core';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { redisSettings, RedisState } from '../src/index.js';
import { cuttableProxy } from './support/cuttable-proxy.js';
import { REDIS, testState } from './support/redis.js';

const admin = systemCaller('admin-test');

describe.runIf(REDIS.ok)('redisSettings (real Redis)', () => {
  it('a gateway started while Redis is unreachable refuses calls (503), then follows the shared settings once it answers', async () => {
    const seed = await testState();
    const proxy = await cuttableProxy();
    proxy.cut();
    const state = new RedisState({ url: proxy.url, keyPrefix: seed.prefix, redis: { retryStrategy: () => 50 } });
    await state.connect().catch(() => undefined);
    const settings = await redisSettings(state);
    const gateway = new Gateway({ logger: silentLogger, killSwitch: settings.killSwitch, contentFilter: settings.contentFilter, redaction: settings.redaction });
    gateway.registerTool({ name: 'quick', description: 'q', args: z.object({ q: z.string() }), run: () => 'ok' });
    try {
      await expect(gateway.callTool({ tool: 'quick', args: { q: 'hi' } })).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
      // Meanwhile another process sets a content rule and the redaction rules.
      const other = await redisSettings(seed);
      await other.contentFilter.add({ kind: 'literal', pattern: 'forbidden' }, 'ann');
      await other.redaction.set('https://shop.example', ['card']);
      proxy.restore();
      await vi.waitFor(() => expect(() => settings.killSwitch.assertCurrent()).not.toThrow(), { timeout: 5000 });
      await vi.waitFor(() => expect(settings.contentFilter.list()).toHaveLength(1), { timeout: 5000 });
      await expect(gateway.callTool({ tool: 'quick', args: { q: 'hi' } })).resolves.toMatchObject({ result: 'ok' });
      await expect(gateway.callTool({ tool: 'quick', args: { q: 'forbidden' } }, { caller: admin })).rejects.toMatchObject({ status: 403, code: 'content_blocked' });
      await vi.waitFor(async () => expect(await settings.redaction.get('https://shop.example')).toMatchObject({ fields: ['card'] }), { timeout: 5000 });
      other.close();
    } finally {
      await gateway.close();
      settings.close();
      await state.close();
      await proxy.close();
      await seed.cleanup();
    }
  });
});
