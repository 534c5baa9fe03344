import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuditLog, systemCaller, type AuditEntry } from '../../src/index.js';
import { request, schedulerGateway } from './scheduler-fixture.js';

// Issue 14.9: a task the pipeline would refuse on every run is refused when it is created.
const task = { name: 'job', tool: 'count', args: { n: 1 }, every: '1h', runAs: 'bot' };

describe('a task is checked when it is created', () => {
  it.each([
    ['a runAs user who does not exist', { runAs: 'ghost' }, 422, 'invalid_task', 'runAs'],
    ['a runAs user not allowed the tool', { runAs: 'other' }, 422, 'invalid_task', 'runAs'],
    ['args of the wrong type', { args: { n: 'one' } }, 422, 'invalid_args', 'n'],
    ['args the schema does not know', { args: { n: 1, extra: true } }, 422, 'invalid_args', '(root)'],
    ['no args where the tool needs some', { args: undefined }, 422, 'invalid_args', 'n'],
  ])('%s: %j is refused with %i %s', async (_, change, status, code, path) => {
    const { gateway, adminToken } = await schedulerGateway();
    const refused = await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, ...change });
    expect(refused.status, refused.text).toBe(status);
    expect(refused.json).toMatchObject({ error: { code, issues: [expect.objectContaining({ path })] } });
    expect(gateway.scheduler.list()).toEqual([]);
    await gateway.close();
  });

  it('an unknown tool is the usual 404 tool_not_found', async () => {
    const { gateway, adminToken } = await schedulerGateway();
    const refused = await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, tool: 'nope' });
    expect(refused.status).toBe(404);
    expect(refused.json).toMatchObject({ error: { code: 'tool_not_found' } });
    await gateway.close();
  });

  it('a task that passes every check is created, and a bad replacement leaves the old one in place', async () => {
    const { gateway, adminToken } = await schedulerGateway();
    expect((await request(gateway, 'POST', '/admin/schedule', adminToken, task)).status).toBe(200);
    expect((await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, runAs: 'ghost' })).status).toBe(422);
    expect(gateway.scheduler.get('job')).toMatchObject({ runAs: 'bot' });
    await gateway.close();
  });
});

describe('a stored task whose user was deleted since', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scheduler-deleted-user-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads without crashing; each run fails clearly, is audited, and it does not loop', async () => {
    const path = join(dir, 'schedule.json');
    await writeFile(path, JSON.stringify({ version: 1, tasks: [{ ...task, runAs: 'gone' }] }));
    const audit = await AuditLog.open(join(dir, 'audit.log'));
    const { gateway } = await schedulerGateway({ scheduler: { path }, audit });
    await gateway.scheduler.load();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    gateway.scheduler.start();
    for (let hour = 0; hour < 3; hour += 1) {
      await vi.advanceTimersByTimeAsync(3_600_000);
      // The audit log writes to a real file: let each run finish before the next is due.
      for (let i = 0; i < 1000 && gateway.scheduler.get('job').running; i += 1) await new Promise((resolve) => setImmediate(resolve));
    }
    const view = gateway.scheduler.get('job');
    expect(view).toMatchObject({ runs: 3, errors: 3, next_run_at: '2026-01-01T04:00:00.000Z' });
    expect(view.history.map((run) => run.error)).toEqual(Array.from({ length: 3 }, () => ({ code: 'invalid_token', message: 'no user named "gone"' })));
    vi.useRealTimers();
    await gateway.close();
    const entries = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    expect(entries.filter((entry) => entry.event === 'scheduled_run').map((entry) => entry.details)).toEqual(
      Array.from({ length: 3 }, () => ({ task: 'job', tool: 'count', run_as: 'gone', outcome: 'error', code: 'invalid_token' })),
    );
  });

  it('the same holds for a user deleted while the task is armed', async () => {
    const { gateway } = await schedulerGateway();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    await gateway.scheduler.upsert(task);
    gateway.scheduler.start();
    await gateway.auth.deleteUser('bot', { actor: systemCaller('test') });
    await vi.advanceTimersByTimeAsync(2 * 3_600_000);
    expect(gateway.scheduler.get('job')).toMatchObject({ runs: 2, errors: 2 });
    vi.useRealTimers();
    await gateway.close();
  });
});
