import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request, schedulerGateway } from './scheduler-fixture.js';

// Issue 14.6 (schedule part): secrets in a task's args were shown by GET /admin/schedule and kept in
// clear in schedule.json. A task may not carry secrets at all: its tool gets them from the SecretStore.
const PASSWORD = 'hunter2-Sup3r-secret';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl';
const task = { name: 'nightly-login', tool: 'login', every: '0 3 * * *', runAs: 'bot' };

describe('secrets in scheduled tasks', () => {
  let dir = '';
  let path = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scheduler-secrets-'));
    path = join(dir, 'schedule.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function onDisk(): Promise<string> {
    return readFile(path, 'utf8').catch(() => '');
  }

  it.each([
    ['a password', { user: 'svc', password: PASSWORD }, 'args.password', PASSWORD],
    ['a token key', { user: 'svc', token: PASSWORD }, 'args.token', PASSWORD],
    ['a JWT under an innocent key', { user: JWT }, 'args.user', JWT],
    ['a bearer token inside a string', { user: `svc Bearer ${JWT} ` }, 'args.user', JWT],
    ['a JWT as a key', { [JWT]: 'svc' }, 'args.[REDACTED]', JWT],
    ['a secret deep in an array', { user: 'svc', extra: [{ nested: { api_key: PASSWORD } }] }, 'args.extra[0].nested.api_key', PASSWORD],
    ['the placeholder of a removed secret', { user: 'svc', password: '[REDACTED]' }, 'args.password', '[REDACTED]'],
  ])('args with %s are refused with 422, and are neither stored nor shown', async (_, args, where, secret) => {
    const { gateway, adminToken } = await schedulerGateway({ scheduler: { path } });
    expect((await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, name: 'plain', args: { user: 'svc' } })).status).toBe(200);
    const refused = await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, args });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json).toMatchObject({ error: { code: 'invalid_task', message: expect.stringContaining('SecretStore'), issues: [{ path: where }] } });
    expect(refused.text).not.toContain(secret === '[REDACTED]' ? PASSWORD : secret);
    const listed = await request(gateway, 'GET', '/admin/schedule', adminToken);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(secret);
    expect(await onDisk()).toContain('"plain"');
    expect(await onDisk()).not.toContain(secret);
    await gateway.close();
  });

  it("a run's result is scrubbed before it is kept, shown, or returned", async () => {
    const { gateway, adminToken } = await schedulerGateway({ scheduler: { path } });
    expect((await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, args: { user: 'svc' } })).status).toBe(200);
    const run = await request(gateway, 'POST', '/admin/schedule/nightly-login/run', adminToken, {});
    expect(run.json).toMatchObject({ outcome: 'ok', result: { user: 'svc', session: '[REDACTED]' } });
    const listed = await request(gateway, 'GET', '/admin/schedule', adminToken);
    expect(listed.text).not.toContain(JWT);
    expect(listed.json).toMatchObject({ tasks: [{ history: [{ result: { session: '[REDACTED]' } }] }] });
    await gateway.close();
  });

  it('a schedule.json from before, with a secret in clear: scrubbed on load, the task disabled with its problem, never run with it', async () => {
    const stored = { ...task, args: { user: 'svc', password: PASSWORD }, enabled: true };
    await writeFile(path, JSON.stringify({ version: 1, tasks: [stored, { ...task, name: 'plain', args: { user: 'svc' } }] }));
    const { gateway, adminToken } = await schedulerGateway({ scheduler: { path } });
    await gateway.scheduler.load();
    gateway.scheduler.start();
    expect(await onDisk()).not.toContain(PASSWORD);
    const listed = await request(gateway, 'GET', '/admin/schedule', adminToken);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(PASSWORD);
    expect(listed.json).toMatchObject({
      tasks: [
        { name: 'nightly-login', enabled: false, next_run_at: null, problem: expect.stringContaining('args.password') },
        { name: 'plain', enabled: true, next_run_at: expect.any(String) },
      ],
    });
    for (const action of ['run', 'enable']) {
      const refused = await request(gateway, 'POST', `/admin/schedule/nightly-login/${action}`, adminToken, {});
      expect(refused.status, action).toBe(422);
      expect(refused.json).toMatchObject({ error: { code: 'invalid_task' } });
    }
    // Replacing the task without the secret clears its problem.
    const replaced = await request(gateway, 'POST', '/admin/schedule', adminToken, { ...task, args: { user: 'svc' } });
    expect(replaced.status).toBe(200);
    expect(replaced.json).not.toHaveProperty('problem');
    await gateway.close();
  });

  it('a stored task whose interval today\'s bounds refuse loads without crashing and is not run', async () => {
    await writeFile(path, JSON.stringify({ version: 1, tasks: [{ ...task, name: 'runaway', args: { user: 'svc' }, every: 1e15 }] }));
    const { gateway, adminToken } = await schedulerGateway({ scheduler: { path } });
    await gateway.scheduler.load();
    gateway.scheduler.start();
    const listed = await request(gateway, 'GET', '/admin/schedule', adminToken);
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ tasks: [{ name: 'runaway', runs: 0, next_run_at: null, problem: expect.stringContaining('one year') }] });
    await gateway.close();
  });
});
