import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditLog,
  ContentFilter,
  FileRedactionRuleStore,
  FileRevocationStore,
  FileUserStore,
  Gateway,
  KillSwitch,
  RedactionRules,
  silentLogger,
  type VerifyReport,
} from '../../src/index.js';
import { listenOnLoopback, type RunningServer } from '@agent-gateway/conformance';

// Regression for issue 14 (3): GET /admin/audit/verify kept one descriptor open per chain file per
// call until the process hit EMFILE. Every route that reads or writes a file is called many times
// over real HTTP, and the process's open descriptors must not grow.
const FD_DIR = '/proc/self/fd';
const hasFdDir = existsSync(FD_DIR);
if (!hasFdDir) console.warn(`descriptor test skipped: ${FD_DIR} does not exist on this system`);
const openDescriptors = (): number => readdirSync(FD_DIR).length;
/** Room for what a warm process may open once (a lazily loaded module, a keep-alive socket). */
const SLACK = 8;
// A descriptor kept per call would show as dozens past the slack; hundreds of rounds only cost time.
const ROUNDS = 60;
/** Hundreds of requests each, on a shared two-core machine: a bound on a hang, not a measurement. */
const CALLS_TIMEOUT_MS = 120_000;
const admin = { username: 'root', password: 'root-password', role: 'admin' } as const;

describe.runIf(hasFdDir)('file descriptors stay flat across file-reading and file-writing routes', () => {
  let dir: string;
  let gateway: Gateway;
  let server: RunningServer;
  let token: string;

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  };

  /** Runs `round` `times` times and returns how many more descriptors are open afterwards. */
  const growth = async (times: number, round: (i: number) => Promise<void>): Promise<number> => {
    await round(-1); // warm: anything opened once (modules, the keep-alive connection) is opened now
    const before = openDescriptors();
    for (let i = 0; i < times; i += 1) await round(i);
    return openDescriptors() - before;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fd-leak-'));
    const redaction = new RedactionRules(new FileRedactionRuleStore(join(dir, 'redaction-rules.json')));
    const killSwitch = new KillSwitch(join(dir, 'kill-switch.json'));
    const contentFilter = new ContentFilter(join(dir, 'content-filter.json'));
    await Promise.all([redaction.load(), killSwitch.load(), contentFilter.load()]);
    gateway = new Gateway({
      logger: silentLogger,
      audit: await AuditLog.open(join(dir, 'audit.log')),
      redaction,
      killSwitch,
      contentFilter,
      scheduler: { path: join(dir, 'schedule.json') },
      rateLimits: { global: { perMinute: 1_000_000 }, perToken: { admin: { perMinute: 1_000_000 } } },
      auth: {
        userStore: await FileUserStore.open(join(dir, 'users.json')),
        revocationStore: await FileRevocationStore.open(join(dir, 'revocations.json')),
        passwordHashing: { logN: 10, r: 8, p: 1 },
      },
    });
    await gateway.auth.createUser(admin, { actor: { kind: 'system', id: 'test' } });
    server = await listenOnLoopback(gateway.nodeListener());
    const login = await fetch(`${server.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: admin.username, password: admin.password }),
    });
    token = ((await login.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await server.close();
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET /admin/audit and ?event= (reading the tail)', async () => {
    const grew = await growth(ROUNDS, async () => {
      expect((await call('GET', '/admin/audit?tail=50')).status).toBe(200);
      expect((await call('GET', '/admin/audit?event=login')).status).toBe(200);
    });
    expect(grew).toBeLessThanOrEqual(SLACK);
  }, CALLS_TIMEOUT_MS);

  it('GET /admin/audit/verify across several chain files, and POST /admin/audit/rotate', async () => {
    const rotations = await growth(10, async () => {
      expect((await call('POST', '/admin/audit/rotate')).status).toBe(200);
    });
    expect(rotations).toBeLessThanOrEqual(SLACK);
    const grew = await growth(ROUNDS, async () => {
      const { status, json } = await call('GET', '/admin/audit/verify');
      expect(status).toBe(200);
      expect(json).toMatchObject({ ok: true });
      expect((json as VerifyReport).files.length).toBeGreaterThan(5);
    });
    expect(grew).toBeLessThanOrEqual(SLACK);
  }, CALLS_TIMEOUT_MS);

  it('GET /admin/audit/verify on a damaged chain (the walk stops early)', async () => {
    // Edit a rotated file in place, same length, so only the hash walk can notice.
    const report = (await call('GET', '/admin/audit/verify')).json as VerifyReport;
    const rotated = report.files[1] ?? '';
    const text = await readFile(rotated, 'utf8');
    const at = text.indexOf('"event":"log_rotated"');
    const file = await open(rotated, 'r+');
    try {
      await file.write('"event":"log_rotatex"', at);
    } finally {
      await file.close();
    }
    const grew = await growth(ROUNDS, async () => {
      const { status, json } = await call('GET', '/admin/audit/verify');
      expect(status).toBe(200);
      expect(json).toMatchObject({ ok: false, first_broken: { file: rotated } });
    });
    expect(grew).toBeLessThanOrEqual(SLACK);
  }, CALLS_TIMEOUT_MS);

  it('routes that persist state: kill switch, content filter, redaction rules, users, schedule', async () => {
    const grew = await growth(40, async (i) => {
      const n = i + 1;
      expect((await call('POST', '/admin/kill-switch', { enabled: n % 2 === 0 })).status).toBe(200);
      const added = await call('POST', '/admin/content-filter', { pattern: `blocked-${n}`, kind: 'literal' });
      expect(added.status).toBe(201);
      const ruleId = (added.json as { rule: { id: string } }).rule.id;
      expect((await call('DELETE', `/admin/content-filter/${encodeURIComponent(ruleId)}`)).status).toBe(200);
      expect((await call('POST', '/tab/redaction-rules', { origin: 'https://example.com', fields: [`field${n}`] })).status).toBe(200);
      expect((await call('POST', '/admin/users', { username: `user-${n + 1000}`, password: 'a-long-password-1', role: 'agent' })).status).toBe(201);
      expect((await call('DELETE', `/admin/users/user-${n + 1000}`)).status).toBe(200);
      expect((await call('GET', '/admin/schedule')).status).toBe(200);
    });
    expect(grew).toBeLessThanOrEqual(SLACK);
  }, CALLS_TIMEOUT_MS);
});
