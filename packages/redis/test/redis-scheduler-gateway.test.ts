import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, createGatewayFromConfig, silentLogger, type Gateway } from '@agent-gateway/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { redisStoresFromConfig } from '../src/index.js';
import { cuttableProxy } from './support/cuttable-proxy.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

describe.runIf(REDIS.ok)('scheduled tasks through redisStoresFromConfig and createGatewayFromConfig (real Redis)', () => {
  let dir: string;
  const opened: Gateway[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-scheduler-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** One gateway process as the example servers build it, with a `tick` tool, its scheduler started. */
  async function open(name: string, env: Record<string, string>): Promise<Gateway> {
    const config = configFromEnv({
      AGENT_GATEWAY_ADMIN_PASS: 'admin-pass',
      AGENT_GATEWAY_JWT_SECRET: 'a-signing-secret-of-at-least-32-bytes!!',
      AGENT_GATEWAY_USERS_PATH: join(dir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(dir, `audit-${name}.log`),
      AGENT_GATEWAY_STATE_DIR: join(dir, `state-${name}`),
      ...env,
    });
    const redis = await redisStoresFromConfig(config, { logger: silentLogger });
    const gateway = await createGatewayFromConfig(config, { logger: silentLogger, workerPool: noPool, ...redis });
    opened.push(gateway);
    gateway.registerTool({ name: 'tick', description: 'does nothing', args: z.object({}), run: () => 'ok' });
    gateway.scheduler.start();
    return gateway;
  }

  const schedule = async (gateway: Gateway, token: string, body: unknown) =>
    (await gateway.handle({ method: 'POST', url: '/admin/schedule', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: { kind: 'parsed', value: body } }))?.status;

  it('a task created through the admin API of one gateway is armed on the other; neither writes schedule.json', async () => {
    const state = await testState();
    try {
      const env = { REDIS_URL, REDIS_KEY_PREFIX: state.prefix };
      const a = await open('a', env);
      const b = await open('b', env);
      const { accessToken } = await a.auth.login('admin', 'admin-pass', { address: '127.0.0.1' });
      expect(await schedule(a, accessToken, { name: 'hourly', tool: 'tick', every: '1h', runAs: 'admin' })).toBe(200);
      await vi.waitFor(() => expect(b.scheduler.get('hourly').next_run_at).toEqual(expect.any(String)), { timeout: 1000, interval: 10 });
      expect(existsSync(join(dir, 'state-a', 'schedule.json')) || existsSync(join(dir, 'state-b', 'schedule.json'))).toBe(false);
    } finally {
      await state.cleanup();
    }
  });

  it('started while Redis is cut off, it serves, then reads and arms the shared tasks once Redis answers', async () => {
    const state = await testState();
    const proxy = await cuttableProxy();
    try {
      const a = await open('a', { REDIS_URL, REDIS_KEY_PREFIX: state.prefix });
      const { accessToken } = await a.auth.login('admin', 'admin-pass', { address: '127.0.0.1' });
      expect(await schedule(a, accessToken, { name: 'daily', tool: 'tick', every: '1d', runAs: 'admin' })).toBe(200);

      proxy.cut();
      const b = await open('b', { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: state.prefix });
      expect(b.scheduler.list()).toEqual([]);
      proxy.restore();
      await vi.waitFor(() => expect(b.scheduler.get('daily').next_run_at).toEqual(expect.any(String)), { timeout: 10_000, interval: 50 });
    } finally {
      await proxy.close();
      await state.cleanup();
    }
  });
});
