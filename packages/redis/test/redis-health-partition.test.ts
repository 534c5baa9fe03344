import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Gateway, silentLogger, type GatewayResponse } from '@agent-gateway/core';
import { afterEach, describe, expect, it } from 'vitest';
import { redisHealthPlugin, RedisState } from '../src/index.js';
import { REDIS, REDIS_URL } from './support/redis.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

/**
 * A proxy to Redis that can stop passing bytes without closing anything: a network partition, where
 * no RST arrives and the client's socket still looks connected. `heal()` delivers what was held.
 */
async function partitionableProxy(): Promise<{ url: string; partition(): void; heal(): void; close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const held: Array<() => void> = [];
  let partitioned = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port === '' ? 6379 : target.port) });
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => (partitioned ? held.push(() => to.write(chunk)) : to.write(chunk)));
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    partition: () => {
      partitioned = true;
    },
    heal: () => {
      partitioned = false;
      for (const send of held.splice(0)) send();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function textOf(response: GatewayResponse | undefined): string {
  if (response === undefined || !('body' in response)) throw new Error('expected a buffered response');
  return typeof response.body === 'string' ? response.body : Buffer.from(response.body).toString('utf8');
}

describe.runIf(REDIS.ok)('redisHealthPlugin while Redis is partitioned away (real Redis, a proxy that holds bytes)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('state_store_up says 0 like /health/ready, though the socket still looks connected, and 1 again once it heals', async () => {
    const proxy = await partitionableProxy();
    closers.push(() => proxy.close());
    const state = new RedisState({ url: proxy.url, keyPrefix: 'agtest:health-partition:', commandTimeoutMs: 300 });
    await state.connect();
    closers.push(() => state.close());
    const gateway = new Gateway({ logger: silentLogger, workerPool: noPool, plugins: [redisHealthPlugin(state)] });
    closers.push(() => gateway.close());
    const get = (url: string) => gateway.handle({ method: 'GET', url, headers: {}, body: { kind: 'none' } });
    const gauge = async () => /^state_store_up\{store="redis"\} (\d)$/m.exec(textOf(await get('/metrics')))?.[1];

    expect(await gauge()).toBe('1');
    proxy.partition();
    // The regression: the gauge read the socket's state, which stays "ready" through a partition.
    expect(state.up).toBe(true);
    expect((await get('/health/ready'))?.status).toBe(503);
    expect(await gauge()).toBe('0');

    proxy.heal();
    expect((await get('/health/ready'))?.status).toBe(200);
    expect(await gauge()).toBe('1');
  });
});
