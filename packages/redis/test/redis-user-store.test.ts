import { randomUUID } from 'node:crypto';
import { Gateway, silentLogger, systemCaller, type UserRecord } from '@agent-gateway/core';
import { describe, expect, it } from 'vitest';
import { RedisState, RedisUserStore } from '../src/index.js';
import { REDIS, testState } from './support/redis.js';

const system = { actor: systemCaller('test') };

function record(username: string, overrides: Partial<UserRecord> = {}): UserRecord {
  const at = new Date().toISOString();
  return { id: randomUUID(), username, role: 'agent', passwordHash: '$scrypt$not-a-real-hash', tokenVersion: 0, createdAt: at, updatedAt: at, ...overrides };
}

async function connections(count: number, prefix: string): Promise<RedisState[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const state = new RedisState({ keyPrefix: prefix });
      await state.connect();
      return state;
    }),
  );
}

function gatewayOn(state: RedisState): Gateway {
  return new Gateway({ logger: silentLogger, auth: { userStore: new RedisUserStore(state), passwordHashing: { logN: 4, r: 1, p: 1 } } });
}

describe.runIf(REDIS.ok)('RedisUserStore (real Redis, separate connections)', () => {
  it('one copy of the users: created on one process, read, replaced and deleted on another; names are normalised', async () => {
    const stateA = await testState();
    const [stateB] = await connections(1, stateA.prefix);
    const a = new RedisUserStore(stateA);
    const b = new RedisUserStore(stateB!);
    try {
      const ann = record('Ann');
      expect(await a.create(ann)).toBe(true);
      expect(await b.get('ANN')).toEqual({ ...ann, username: 'ann' });
      expect(await b.create(record('ann'))).toBe(false);
      await b.put({ ...ann, username: 'ann', role: 'admin', tokenVersion: 1 });
      expect(await a.get('ann')).toMatchObject({ id: ann.id, role: 'admin', tokenVersion: 1 });
      expect((await a.list()).map((user) => user.username)).toEqual(['ann']);
      expect(await b.delete('Ann')).toBe(true);
      expect(await a.get('ann')).toBeUndefined();
      expect(await a.delete('ann')).toBe(false);
    } finally {
      await stateB!.close();
      await stateA.cleanup();
    }
  });

  it('of 20 concurrent creates of one name across two connections exactly one wins, and of deletes exactly one', async () => {
    const stateA = await testState();
    const [stateB] = await connections(1, stateA.prefix);
    const stores = [new RedisUserStore(stateA), new RedisUserStore(stateB!)];
    try {
      const attempts = Array.from({ length: 20 }, () => record('bob', { id: randomUUID() }));
      const created = await Promise.all(attempts.map((user, i) => stores[i % 2]!.create(user)));
      expect(created.filter(Boolean)).toHaveLength(1);
      const winner = attempts[created.indexOf(true)]!;
      expect((await stores[1]!.get('bob'))?.id).toBe(winner.id);
      const deleted = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.delete('bob')));
      expect(deleted.filter(Boolean)).toHaveLength(1);
    } finally {
      await stateB!.close();
      await stateA.cleanup();
    }
  });

  it('gateways starting together create the bootstrap admin once and agree on its id; a user made on one logs in on another', async () => {
    const stateA = await testState();
    const others = await connections(2, stateA.prefix);
    const gateways = [stateA, ...others].map(gatewayOn);
    try {
      const results = await Promise.all(gateways.map((gateway) => gateway.auth.bootstrapAdmin('admin', 'admin-password')));
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const ids = await Promise.all(gateways.map(async (gateway) => (await gateway.auth.listUsers()).map((user) => user.id)));
      expect(new Set(ids.flat()).size).toBe(1);

      await gateways[0]!.auth.createUser({ username: 'carol', password: 'carol-password', role: 'agent' }, system);
      await expect(gateways[2]!.auth.login('carol', 'carol-password', { address: 'test' })).resolves.toMatchObject({ accessToken: expect.any(String) });
      await gateways[1]!.auth.deleteUser('carol', system);
      await expect(gateways[0]!.auth.login('carol', 'carol-password', { address: 'test' })).rejects.toMatchObject({ status: 401 });
    } finally {
      await Promise.all(gateways.map((gateway) => gateway.close()));
      await Promise.all(others.map((state) => state.close()));
      await stateA.cleanup();
    }
  });

  it('fails closed: without Redis every operation is 503; an unreadable record is 503 without its contents', async () => {
    const down = new RedisState({ url: 'redis://127.0.0.1:1', redis: { retryStrategy: () => null } });
    const store = new RedisUserStore(down);
    for (const operation of [() => store.get('ann'), () => store.list(), () => store.create(record('ann')), () => store.put(record('ann')), () => store.delete('ann')]) {
      await expect(operation()).rejects.toMatchObject({ status: 503, code: 'state_unavailable' });
    }
    await down.close();

    const state = await testState();
    try {
      await state.client.hset(state.key('users'), 'eve', JSON.stringify({ username: 'eve', passwordHash: '$scrypt$secret-hash' }));
      const error = await new RedisUserStore(state).get('eve').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ status: 503, code: 'state_unavailable' });
      expect(String((error as Error).message)).not.toContain('secret-hash');
    } finally {
      await state.cleanup();
    }
  });
});
