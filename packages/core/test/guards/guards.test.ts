import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContentFilter, Gateway, KillSwitch, RateLimiter, silentLogger, systemCaller, type Caller } from '../../src/index.js';

const agent: Caller = { kind: 'user', id: 'bot', role: 'agent', tokenId: 't1' };
const admin = systemCaller('admin-test');

describe('kill switch', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('refuses new calls with 423 while on, lets calls already running finish, and comes back off', async () => {
    const gateway = new Gateway({ logger: silentLogger });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    gateway
      .registerTool({ name: 'slow', description: 's', args: z.object({}), run: async () => gate.then(() => 'finished') })
      .registerTool({ name: 'quick', description: 'q', args: z.object({}), run: () => 'ok' });
    const inFlight = gateway.callTool({ tool: 'slow', args: {} });
    await gateway.guards.setKillSwitch(true, 'incident 42', admin);
    // The reason is internal: an agent learns only that the switch is on, an admin also reads why.
    const refusal = await gateway.callTool({ tool: 'quick', args: {} }, { caller: agent }).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ status: 423, code: 'kill_switch_on', details: undefined });
    expect(String((refusal as Error).message)).not.toContain('incident 42');
    await expect(gateway.callTool({ tool: 'quick', args: {} }, { caller: { kind: 'user', id: 'root', role: 'admin' } })).rejects.toMatchObject({
      status: 423,
      details: { reason: 'incident 42' },
    });
    release();
    await expect(inFlight).resolves.toMatchObject({ result: 'finished' });
    expect((await gateway.metrics.render()).body).toMatch(/^kill_switch_enabled 1$/m);
    await gateway.guards.setKillSwitch(false, undefined, admin);
    await expect(gateway.callTool({ tool: 'quick', args: {} })).resolves.toMatchObject({ result: 'ok' });
    expect((await gateway.metrics.render()).body).toMatch(/^kill_switch_enabled 0$/m);
  });

  it('keeps its state across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kill-'));
    dirs.push(dir);
    const first = new KillSwitch(join(dir, 'kill-switch.json'));
    await first.set(true, 'stop everything', 'ann');
    const second = new KillSwitch(join(dir, 'kill-switch.json'));
    await second.load();
    expect(second.state).toMatchObject({ enabled: true, reason: 'stop everything', changed_by: 'ann' });
  });

  it('stops an approved call from running when it was thrown while the call waited', async () => {
    const gateway = new Gateway({ logger: silentLogger });
    gateway.registerTool({ name: 'risky', description: 'r', args: z.object({}), requiresApproval: true, run: () => 'ran' });
    const held = await gateway.callTool({ tool: 'risky', args: {} }, { caller: systemCaller('job') });
    if (held.status !== 'pending') throw new Error('not held');
    await gateway.guards.setKillSwitch(true, undefined, admin);
    await expect(gateway.approvals.approve(held.approvalId, systemCaller('reviewer'))).resolves.toMatchObject({
      state: 'failed',
      error: { code: 'kill_switch_on' },
    });
  });
});

describe('rate limits', () => {
  it('refills the bucket over time and answers 429 with Retry-After when empty', async () => {
    let now = 0;
    const limiter = new RateLimiter({ perToken: { agent: { perMinute: 60, burst: 2 } }, now: () => now });
    await limiter.check(agent, 'echo');
    await limiter.check(agent, 'echo');
    const error = await limiter.check(agent, 'echo').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', headers: { 'retry-after': '1' }, details: { scope: 'token' } });
    now += 1000; // 60/min refills one token per second
    await expect(limiter.check(agent, 'echo')).resolves.toBeUndefined();
    await expect(limiter.check(agent, 'echo')).rejects.toMatchObject({ status: 429 });
    // Another token has its own bucket.
    await expect(limiter.check({ ...agent, tokenId: 't2' }, 'echo')).resolves.toBeUndefined();
  });

  it('applies global and per-tool buckets, and never limits in-process callers', async () => {
    let now = 0;
    const limiter = new RateLimiter({ global: { perMinute: 3 }, perTool: { 'file.write': { perMinute: 1 } }, now: () => now });
    await limiter.check(agent, 'file.write');
    await expect(limiter.check(agent, 'file.write')).rejects.toMatchObject({ details: { scope: 'tool file.write' } });
    await limiter.check({ ...agent, tokenId: 'other' }, 'echo');
    await expect(limiter.check({ ...agent, tokenId: 'third' }, 'echo')).rejects.toMatchObject({ details: { scope: 'global' } });
    for (let i = 0; i < 100; i += 1) await limiter.check(systemCaller('host'), 'echo');
    now += 60_000;
    await expect(limiter.check(agent, 'echo')).resolves.toBeUndefined();
  });
});

describe('content filter', () => {
  it('blocks literal matches without case, anywhere in the args, naming the rule', async () => {
    const filter = new ContentFilter();
    const rule = await filter.add({ kind: 'literal', pattern: 'DROP TABLE' }, 'ann');
    expect(() => filter.check({ sql: ['select 1', { nested: 'x; drop table users' }] })).toThrow(
      expect.objectContaining({ status: 403, code: 'content_blocked', details: { rule_id: rule.id } }),
    );
    expect(() => filter.check({ sql: 'select 1' })).not.toThrow();
  });

  it('refuses a regex that can backtrack catastrophically, and an invalid one', async () => {
    const filter = new ContentFilter();
    await expect(filter.add({ kind: 'regex', pattern: '(a+)+$' }, 'ann')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/backtrack/) });
    await expect(filter.add({ kind: 'regex', pattern: '(' }, 'ann')).rejects.toMatchObject({ status: 400 });
    const ok = await filter.add({ kind: 'regex', pattern: 'rm\\s+-rf', flags: 'i' }, 'ann');
    expect(() => filter.check({ cmd: 'RM  -rf /' })).toThrow(expect.objectContaining({ details: { rule_id: ok.id } }));
  });

  it('an evil regex that got in anyway is stopped by the time limit: the call is blocked, the gateway keeps going', async () => {
    const filter = new ContentFilter();
    const evil = await filter.add({ kind: 'regex', pattern: '(a+)+$' }, 'ann', { allowUnsafe: true });
    const input = { text: `${'a'.repeat(40)}!` };
    expect(() => filter.check(input)).toThrow(
      expect.objectContaining({ status: 403, code: 'content_blocked', details: { rule_id: evil.id }, message: expect.stringMatching(/took too long/) }),
    );
    expect(() => filter.check({ text: 'fine' })).not.toThrow();
  });
});
