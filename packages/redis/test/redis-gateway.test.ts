import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, createGatewayFromConfig, silentLogger, type Caller, type Gateway, type GatewayResponse } from '@agent-gateway/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStoresFromConfig } from '../src/index.js';
import { cuttableProxy } from './support/cuttable-proxy.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

function bodyOf(response: GatewayResponse | undefined): unknown {
  if (response === undefined || !('body' in response)) throw new Error('expected a buffered response');
  const { body } = response;
  return typeof body === 'string' ? (body.startsWith('{') ? JSON.parse(body) : body) : JSON.parse(Buffer.from(body).toString('utf8'));
}

describe('redisStoresFromConfig', () => {
  let dir: string;
  const opened: Gateway[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-gateway-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
    await rm(dir, { recursive: true, force: true });
  });

  /** One gateway process: its own audit log, the users file and Redis shared with the others. */
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
    // Cheap scrypt: these are about shared state, not hashing cost.
    const gateway = await createGatewayFromConfig(config, { logger: silentLogger, workerPool: noPool, ...redis, auth: { ...redis?.auth, passwordHashing: { logN: 10, r: 8, p: 1 } } });
    opened.push(gateway);
    return gateway;
  }

  const get = (gateway: Gateway, url: string) => gateway.handle({ method: 'GET', url, headers: {}, body: { kind: 'none' } });

  it('is undefined without REDIS_URL: the per-process defaults stay', async () => {
    expect(await redisStoresFromConfig(configFromEnv({ AGENT_GATEWAY_ADMIN_PASS: 'pw' }))).toBeUndefined();
  });

  describe.runIf(REDIS.ok)('with a real Redis, two gateways on one prefix', () => {
    it('a token revoked on one gateway is refused by the other at its next request', async () => {
      const state = await testState();
      try {
        const env = { REDIS_URL, REDIS_KEY_PREFIX: state.prefix };
        const a = await open('a', env);
        const b = await open('b', env);
        const pair = await a.auth.login('admin', 'admin-pass', { address: '127.0.0.1' });
        expect((await b.auth.authenticate(pair.accessToken)).id).toBe('admin');
        const revoked = await a.handle({
          method: 'POST',
          url: '/admin/revoke',
          headers: { authorization: `Bearer ${pair.accessToken}`, 'content-type': 'application/json' },
          body: { kind: 'parsed', value: { jti: pair.tokenId } },
        });
        expect(revoked?.status).toBe(200);
        await expect(b.auth.authenticate(pair.accessToken)).rejects.toMatchObject({ status: 401 });
      } finally {
        await state.cleanup();
      }
    });

    it('failed logins are throttled for the deployment: five free across both, the sixth waits', async () => {
      const state = await testState();
      try {
        const env = { REDIS_URL, REDIS_KEY_PREFIX: state.prefix };
        const gateways = [await open('a', env), await open('b', env)];
        for (let i = 0; i < 5; i += 1) {
          await expect(gateways[i % 2]!.auth.login('admin', 'wrong', { address: '10.0.0.9' })).rejects.toMatchObject({ status: 401 });
        }
        for (const gateway of gateways) {
          await expect(gateway.auth.login('admin', 'admin-pass', { address: '10.0.0.9' })).rejects.toMatchObject({ status: 429 });
        }
      } finally {
        await state.cleanup();
      }
    });

    it('the configured rate limit (AGENT_GATEWAY_RATE_LIMIT) is one budget for both', async () => {
      const state = await testState();
      try {
        const env = { REDIS_URL, REDIS_KEY_PREFIX: state.prefix, AGENT_GATEWAY_RATE_LIMIT: '3' };
        const gateways = [await open('a', env), await open('b', env)];
        const caller: Caller = { kind: 'user', id: 'alice', role: 'agent', tokenId: 'jti-alice' };
        const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => gateways[i % 2]!.rateLimiter.check(caller, 'echo')));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      } finally {
        await state.cleanup();
      }
    });

    it('started while Redis is cut off, it serves, and creates the bootstrap admin once Redis answers', async () => {
      const state = await testState();
      const proxy = await cuttableProxy();
      proxy.cut();
      try {
        const gateway = await open('a', { REDIS_URL: proxy.url, REDIS_KEY_PREFIX: state.prefix });
        expect((await get(gateway, '/health'))?.status).toBe(200);
        expect(await state.client.hlen(state.key('users'))).toBe(0);
        proxy.restore();
        // The retry runs every second; the login proves the admin exists, in Redis, with its password.
        let session: unknown;
        for (let i = 0; i < 100 && session === undefined; i += 1) {
          session = await gateway.auth.login('admin', 'admin-pass', { address: '127.0.0.1' }).catch(() => undefined);
          if (session === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(session).toMatchObject({ accessToken: expect.any(String) });
      } finally {
        await proxy.close();
        await state.cleanup();
      }
    });

    it('GET /health/ready says redis is up and state_store_up is 1', async () => {
      const state = await testState();
      try {
        const gateway = await open('a', { REDIS_URL, REDIS_KEY_PREFIX: state.prefix });
        const ready = await get(gateway, '/health/ready');
        expect(ready?.status).toBe(200);
        expect(bodyOf(ready)).toEqual({ ready: true, stores: { redis: 'up' } });
        expect(String(bodyOf(await get(gateway, '/metrics')))).toMatch(/^state_store_up\{store="redis"\} 1$/m);
      } finally {
        await state.cleanup();
      }
    });
  });

  it('with Redis unreachable: not ready (503, state_store_up 0), still alive, and tokens are refused with 503', async () => {
    const gateway = await open('a', { REDIS_URL: 'redis://127.0.0.1:1' });
    const ready = await get(gateway, '/health/ready');
    expect(ready?.status).toBe(503);
    expect(bodyOf(ready)).toEqual({ ready: false, stores: { redis: 'down' } });
    expect(String(bodyOf(await get(gateway, '/metrics')))).toMatch(/^state_store_up\{store="redis"\} 0$/m);
    expect((await get(gateway, '/health'))?.status).toBe(200);
    // The login itself needs the generation from Redis: refused, not let through unchecked.
    await expect(gateway.auth.login('admin', 'admin-pass', { address: '127.0.0.1' })).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
  });
});
