import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisState } from '../../src/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether the real Redis the suites need answers; when not, they skip and print why. */
export async function redisReachable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no Redis at ${REDIS_URL} (${error instanceof Error ? error.message : String(error)}); start one with redis-server` };
  } finally {
    probe.disconnect();
  }
}

const reachable = await redisReachable();
if (!reachable.ok) console.warn(`skipped: Redis suites (${reachable.reason})`);
/** For `describe.runIf(REDIS.ok)`. */
export const REDIS = reachable;

/** A state handle under a prefix of its own; `cleanup()` deletes every key under it and closes. */
export async function testState(): Promise<RedisState & { cleanup(): Promise<void> }> {
  const prefix = `agtest:${randomUUID()}:`;
  const state = new RedisState({ url: REDIS_URL, keyPrefix: prefix });
  await state.connect();
  return Object.assign(state, {
    async cleanup(): Promise<void> {
      const keys = await state.client.keys(`${prefix}*`);
      if (keys.length > 0) await state.client.del(...keys);
      await state.close();
    },
  });
}
