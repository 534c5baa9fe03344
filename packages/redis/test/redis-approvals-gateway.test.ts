import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, createGatewayFromConfig, silentLogger, type Caller, type Gateway } from '@agent-gateway/core';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStoresFromConfig } from '../src/index.js';
import { REDIS, REDIS_URL, testState } from './support/redis.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };
const alice: Caller = { kind: 'user', id: 'alice', role: 'agent' };

describe.runIf(REDIS.ok)('approvals through redisStoresFromConfig: two gateways on one prefix (real Redis)', () => {
  let dir: string;
  let prefix: string;
  let cleanupState: () => Promise<void>;
  const opened: Gateway[] = [];
  const runs: string[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-approvals-'));
    const state = await testState();
    prefix = state.prefix;
    cleanupState = () => state.cleanup();
    runs.length = 0;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((gateway) => gateway.close()));
    await cleanupState();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(name: string): Promise<Gateway> {
    const config = configFromEnv({
      AGENT_GATEWAY_ADMIN_PASS: 'admin-pass',
      AGENT_GATEWAY_JWT_SECRET: 'a-signing-secret-of-at-least-32-bytes!!',
      AGENT_GATEWAY_USERS_PATH: join(dir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(dir, `audit-${name}.log`),
      AGENT_GATEWAY_STATE_DIR: join(dir, `state-${name}`),
      AGENT_GATEWAY_APPROVAL_TIMEOUT: '120',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    });
    const redis = await redisStoresFromConfig(config, { logger: silentLogger });
    const gateway = await createGatewayFromConfig(config, { logger: silentLogger, workerPool: noPool, ...redis });
    opened.push(gateway);
    gateway.registerTool({
      name: 'risky',
      description: 'held for approval',
      args: z.object({ n: z.number() }),
      requiresApproval: true,
      run: ({ n }) => {
        runs.push(name);
        return { doubled: n * 2, on: name };
      },
    });
    await redis?.approvals.feed.ready;
    return gateway;
  }

  it('held on A, decided over HTTP on B: runs once on B, its result reaches the caller waiting on A and the SSE stream on B', async () => {
    const a = await open('a');
    // The approved run re-checks its caller, who must exist (B reads the users file A wrote at its start).
    await a.auth.createUser({ username: 'alice', password: 'alice-password-1', role: 'agent' }, { actor: { kind: 'user', id: 'admin', role: 'admin' } });
    const b = await open('b');
    expect(a.approvals.timeoutMs).toBe(120_000);
    const admin = await b.auth.login('admin', 'admin-pass', { address: '127.0.0.1' });
    const bearer = { authorization: `Bearer ${admin.accessToken}` };

    const streamResponse = await b.handle({ method: 'GET', url: '/approvals/stream', headers: bearer, body: { kind: 'none' } });
    if (streamResponse === undefined || !('events' in streamResponse)) throw new Error('expected an event stream');
    const controller = new AbortController();
    const events = streamResponse.events(controller.signal)[Symbol.asyncIterator]();
    expect((await events.next()).value).toContain('connected');

    const outcome = await a.callTool({ tool: 'risky', args: { n: 21 } }, { caller: alice });
    if (outcome.status !== 'pending') throw new Error(`expected a held call, got ${outcome.status}`);
    const waiting = a.approvals.wait(outcome.approvalId, 30_000);
    expect((await events.next()).value).toMatch(/^id: 1\nevent: approval\.requested\n/);

    const decided = await b.handle({ method: 'POST', url: `/approvals/${outcome.approvalId}/approve`, headers: { ...bearer, 'content-type': 'application/json' }, body: { kind: 'parsed', value: {} } });
    expect(decided?.status).toBe(200);
    const settled = await waiting;
    expect(settled.error).toBeUndefined();
    expect(settled).toMatchObject({ state: 'executed', result: { doubled: 42, on: 'b' } });
    expect(runs).toEqual(['b']);
    expect((await events.next()).value).toMatch(/^id: 2\nevent: approval\.approved\n/);
    expect((await events.next()).value).toMatch(/^id: 3\nevent: approval\.executed\n/);
    controller.abort();

    // Each gateway audits what it did: the request on A, the decision on B, once each.
    const audit = async (name: string): Promise<string[]> =>
      (await readFile(join(dir, `audit-${name}.log`), 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { event: string }).event);
    await expect.poll(async () => (await audit('b')).filter((event) => event === 'approval_decided')).toHaveLength(1);
    expect((await audit('a')).filter((event) => event.startsWith('approval_'))).toEqual(['approval_requested']);
    expect((await audit('b')).filter((event) => event.startsWith('approval_'))).toEqual(['approval_decided']);
  });
});
