import { describe, expect, it } from 'vitest';
import { RedisState } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

describe.runIf(REDIS.ok)('RedisState (real Redis)', () => {
  it('prefixes keys and runs commands', async () => {
    const state = await testState();
    try {
      expect(state.up).toBe(true);
      await state.run((client) => client.set(state.key('a', 'b'), '1'));
      expect(await state.client.get(`${state.prefix}a:b`)).toBe('1');
    } finally {
      await state.cleanup();
    }
  });
});

describe('RedisState without a server', () => {
  it('fails commands at once with 503 state_unavailable, never hangs', async () => {
    // A port nothing listens on: the command is refused, not queued.
    const state = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    try {
      await expect(state.connect()).rejects.toBeDefined();
      expect(state.up).toBe(false);
      await expect(state.run((client) => client.get(state.key('x')))).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    } finally {
      await state.close();
    }
  });
});
