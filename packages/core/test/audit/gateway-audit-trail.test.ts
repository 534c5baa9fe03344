import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditActorOf } from '../../src/audit/audit-entry.js';
import { recordApprovalChanges, recordAuthEvents } from '../../src/audit/gateway-audit-trail.js';
import { GatewayEvents } from '../../src/events/gateway-events.js';
import { ApprovalQueue, AuditLog, silentLogger, type Caller, type Logger } from '../../src/index.js';
import { recordingLogger } from '../support/recording-logger.js';

// What the gateway writes to its audit log besides tool calls (issue 24: gateway-audit-trail.ts and
// auditActorOf, in the audit group): each auth event and approval change as an entry, with who did it.

const alice: Caller = { kind: 'user', id: 'alice', role: 'agent', tokenId: 'alice-jti' };
const bob: Caller = { kind: 'user', id: 'bob', role: 'approver', tokenId: 'bob-jti' };
const carol: Caller = { kind: 'user', id: 'carol', role: 'admin' };
const admin: Caller = { kind: 'system', id: 'scheduler' };

let dir: string;
let log: AuditLog;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-trail-'));
  log = await AuditLog.open(join(dir, 'audit.log'));
});
afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

/** Once what was appended so far is durable, and the sinks have been handed it. */
const durable = async (): Promise<void> => {
  await log.verify();
  await new Promise((resolve) => setImmediate(resolve));
};
/** Polls until `check` holds (a failed append is logged when its write has failed). */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
}
const entries = async () => (await log.tail(50)).map(({ event, actor, details }) => ({ event, actor, details }));

describe('auditActorOf', () => {
  it('a user with and without role and token id, a system part, an anonymous caller; keys in canonical order', () => {
    const cases: [Caller, object][] = [
      [alice, { jti: 'alice-jti', role: 'agent', type: 'user', user: 'alice' }],
      [{ kind: 'user', id: 'dave', tokenId: 'd-jti' }, { jti: 'd-jti', type: 'user', user: 'dave' }],
      [carol, { role: 'admin', type: 'user', user: 'carol' }],
      [{ kind: 'user', id: 'erin' }, { type: 'user', user: 'erin' }],
      [admin, { name: 'scheduler', type: 'system' }],
      [{ kind: 'anonymous', id: 'anonymous' }, { type: 'anonymous' }],
    ];
    for (const [caller, actor] of cases) {
      const got = auditActorOf(caller);
      expect(got, caller.id).toEqual(actor);
      expect(Object.keys(got), caller.id).toEqual(Object.keys(actor));
    }
  });
});

describe('recordAuthEvents', () => {
  it('writes each auth event as its entry, with who and what', async () => {
    const events = new GatewayEvents(silentLogger);
    recordAuthEvents(events, log, silentLogger);
    events.emit('auth.login', { username: 'alice', address: '10.0.0.1', tokenId: 'j1' });
    events.emit('auth.login_failed', { username: 'mallory', address: '10.0.0.2', reason: 'invalid_credentials' });
    events.emit('auth.refreshed', { username: 'alice', tokenId: 'j2', previousTokenId: 'j1' });
    events.emit('auth.refresh_reused', { username: 'alice', tokenId: 'j1' });
    events.emit('auth.token_revoked', { by: carol, tokenId: 'j2', scope: 'session' });
    events.emit('auth.user_created', { by: carol, username: 'dave', role: 'agent', created: true });
    events.emit('auth.user_deleted', { by: admin, username: 'dave' });
    await durable();
    expect(await entries()).toEqual([
      { event: 'login', actor: { type: 'user', user: 'alice', jti: 'j1' }, details: { address: '10.0.0.1' } },
      { event: 'login_failed', actor: { type: 'anonymous', address: '10.0.0.2' }, details: { username: 'mallory', reason: 'invalid_credentials' } },
      { event: 'token_refreshed', actor: { type: 'user', user: 'alice', jti: 'j2' }, details: { previous_jti: 'j1' } },
      { event: 'refresh_reuse_detected', actor: { type: 'anonymous' }, details: { username: 'alice', jti: 'j1', action: 'session revoked' } },
      { event: 'token_revoked', actor: { role: 'admin', type: 'user', user: 'carol' }, details: { jti: 'j2', scope: 'session' } },
      { event: 'user_created', actor: { role: 'admin', type: 'user', user: 'carol' }, details: { username: 'dave', role: 'agent', created: true } },
      { event: 'user_deleted', actor: { name: 'scheduler', type: 'system' }, details: { username: 'dave' } },
    ]);
  });

  it('an append that fails is logged with the event, and the emitter is not disturbed', async () => {
    const brokenDir = await mkdtemp(join(tmpdir(), 'audit-trail-full-'));
    await symlink('/dev/full', join(brokenDir, 'audit.log'));
    const broken = await AuditLog.open(join(brokenDir, 'audit.log'));
    const logger = recordingLogger();
    const events = new GatewayEvents(silentLogger);
    recordAuthEvents(events, broken, logger);
    events.emit('auth.login', { username: 'alice', address: '10.0.0.1', tokenId: 'j1' });
    await waitFor(() => logger.lines.length > 0);
    const line = logger.lines.find(([, message]) => message === 'could not audit an event');
    expect(line?.[0]).toBe('error');
    expect(line?.[2]).toMatchObject({ event: 'login', error: expect.any(Error) });
    await broken.close();
    await rm(brokenDir, { recursive: true, force: true });
  });
});

describe('recordApprovalChanges', () => {
  function queue(options: ConstructorParameters<typeof ApprovalQueue>[0] = {}, logger: Logger = silentLogger, target: AuditLog = log): ApprovalQueue {
    const q = new ApprovalQueue(options);
    q.setRunner(async () => 'ran');
    recordApprovalChanges(q, target, logger, (args, origin) => ({ redacted: args, origin: origin ?? null }));
    return q;
  }

  it('a request (args redacted for its origin, digest, expiry) and its approval by a user', async () => {
    const q = queue();
    const held = await q.request({ callId: 'c1', tool: 'deploy', args: { env: 'prod' }, caller: alice, origin: 'https://app' });
    await q.approve(held.id, bob, 'looks fine');
    await durable();
    const base = { approval_id: held.id, call_id: 'c1', tool: 'deploy' };
    expect(await entries()).toEqual([
      {
        event: 'approval_requested',
        actor: { jti: 'alice-jti', role: 'agent', type: 'user', user: 'alice' },
        details: { ...base, args: { redacted: { env: 'prod' }, origin: 'https://app' }, origin: 'https://app', args_digest: held.digest, expires_at: held.expiresAt },
      },
      { event: 'approval_decided', actor: { jti: 'bob-jti', role: 'approver', type: 'user', user: 'bob' }, details: { ...base, decision: 'approved', reason: 'looks fine' } },
    ]);
    q.close();
  });

  it('a request without an origin has no origin field; a rejection without a reason has no reason', async () => {
    const q = queue();
    const held = await q.request({ callId: 'c2', tool: 'deploy', args: {}, caller: alice });
    await q.reject(held.id, carol);
    await durable();
    const [requested, decided] = await entries();
    expect(requested?.details).not.toHaveProperty('origin');
    expect(requested?.details.args).toEqual({ redacted: {}, origin: null });
    expect(decided).toEqual({ event: 'approval_decided', actor: { role: 'admin', type: 'user', user: 'carol' }, details: { approval_id: held.id, call_id: 'c2', tool: 'deploy', decision: 'rejected' } });
    q.close();
  });

  it('a quorum: each approval is an entry with the count so far and the number required, with that approver\'s reason', async () => {
    const q = queue();
    const held = await q.request({ callId: 'c3', tool: 'deploy', args: {}, caller: alice, required: 2 });
    await q.approve(held.id, bob, 'first');
    await q.approve(held.id, carol, 'second');
    await durable();
    const decided = (await entries()).filter((entry) => entry.event === 'approval_decided');
    expect(decided.map((entry) => [entry.actor, entry.details])).toEqual([
      [{ jti: 'bob-jti', role: 'approver', type: 'user', user: 'bob' }, { approval_id: held.id, call_id: 'c3', tool: 'deploy', approvals: 1, decision: 'approved', reason: 'first', required: 2 }],
      [{ role: 'admin', type: 'user', user: 'carol' }, { approval_id: held.id, call_id: 'c3', tool: 'deploy', approvals: 2, decision: 'approved', reason: 'second', required: 2 }],
    ]);
    q.close();
  });

  it('a quorum rejected before any approval: the count is 0', async () => {
    const q = queue();
    const held = await q.request({ callId: 'c7', tool: 'deploy', args: {}, caller: alice, required: 2 });
    await q.reject(held.id, carol, 'no');
    await durable();
    const decided = (await entries()).find((entry) => entry.event === 'approval_decided');
    expect(decided?.details).toEqual({ approval_id: held.id, call_id: 'c7', tool: 'deploy', approvals: 0, decision: 'rejected', reason: 'no', required: 2 });
    q.close();
  });

  it('the entries a sink gets carry only the fields there are: no origin, reason or quorum fields left undefined', async () => {
    const shipped: Record<string, unknown>[] = [];
    log.addSink({ write: (written) => void shipped.push(...written.map((entry) => entry.details)) });
    const q = queue();
    const held = await q.request({ callId: 'c8', tool: 'deploy', args: {}, caller: alice });
    await q.approve(held.id, bob);
    await durable();
    expect(shipped.map((details) => Object.keys(details))).toEqual([
      ['approval_id', 'call_id', 'tool', 'args', 'args_digest', 'expires_at'],
      ['approval_id', 'call_id', 'tool', 'decision'],
    ]);
    q.close();
  });

  it('an expiry is written as the approvals system; the run of the approved call is not written here', async () => {
    const q = queue({ timeoutMs: 30 });
    const held = await q.request({ callId: 'c4', tool: 'deploy', args: {}, caller: alice });
    await q.wait(held.id, 2_000);
    await durable();
    expect((await entries()).map((entry) => [entry.event, entry.actor])).toEqual([
      ['approval_requested', { jti: 'alice-jti', role: 'agent', type: 'user', user: 'alice' }],
      ['approval_expired', { type: 'system', name: 'approvals' }],
    ]);
    expect((await entries())[1]?.details).toEqual({ approval_id: held.id, call_id: 'c4', tool: 'deploy' });
    q.close();
  });

  it('a decision without a decider is the approvals system\'s; a change made by another process is not written here', async () => {
    const q = queue();
    const held = await q.request({ callId: 'c5', tool: 'deploy', args: {}, caller: alice });
    const approved = { ...held, state: 'approved' as const, decision: { by: 'policy', at: held.createdAt } };
    q.emit('change', { seq: 100, type: 'approval.approved', approval: approved, remote: true });
    q.emit('change', { seq: 101, type: 'approval.approved', approval: approved });
    await durable();
    const decided = (await entries()).filter((entry) => entry.event === 'approval_decided');
    expect(decided).toEqual([{ event: 'approval_decided', actor: { type: 'system', name: 'approvals' }, details: { approval_id: held.id, call_id: 'c5', tool: 'deploy', decision: 'approved' } }]);
    q.close();
  });

  it('an append that fails is logged with the event', async () => {
    const brokenDir = await mkdtemp(join(tmpdir(), 'audit-trail-full-'));
    await symlink('/dev/full', join(brokenDir, 'audit.log'));
    const broken = await AuditLog.open(join(brokenDir, 'audit.log'));
    const logger = recordingLogger();
    const q = queue({}, logger, broken);
    await q.request({ callId: 'c6', tool: 'deploy', args: {}, caller: alice });
    await waitFor(() => logger.lines.length > 0);
    const line = logger.lines.find(([, message]) => message === 'could not audit an approval change');
    expect(line?.[0]).toBe('error');
    expect(line?.[2]).toMatchObject({ event: 'approval_requested', error: expect.any(Error) });
    q.close();
    await broken.close();
    await rm(brokenDir, { recursive: true, force: true });
  });
});
