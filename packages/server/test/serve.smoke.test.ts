import { chmod, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runBin, STACK_FRAME, startServe, type Finished, type Serving } from './support/agent-gateway-bin.js';
import { runInProcess } from './support/in-process.js';

const ADMIN_PASS = 'admin-password-1';

/**
 * `agent-gateway serve`, `users add` and `audit verify` as real processes against one another: the
 * server a user starts, the user they add to it, the audit log it leaves.
 */
describe(`agent-gateway serve, users add, audit verify (${bin.label})`, () => {
  let dir: string;
  let server: Serving;
  let base: string;
  let stopped: Finished | undefined;
  const env = { AGENT_GATEWAY_ADMIN_PASS: ADMIN_PASS };

  const post = (path: string, body: unknown, token?: string): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const login = async (username: string, password: string): Promise<Response> => post('/admin/login', { username, password });
  const tokenOf = async (response: Response): Promise<string> => ((await response.json()) as { token: string }).token;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-gateway-server-'));
    // Part of the settings from a config file, part from the environment: both are read.
    const config = join(dir, 'gateway.json');
    await writeFile(config, JSON.stringify({ PORT: 0, HOST: '127.0.0.1', AGENT_GATEWAY_AUDIT_PATH: join(dir, 'logs', 'audit.log'), SANDBOX_POOL_SIZE: 1 }));
    await chmod(config, 0o600);
    server = startServe(['--config', config], { cwd: dir, env });
    base = await server.url;
  });
  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('listens where the config file says and answers /health', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('serves the example gateway: the admin logs in and calls a demo tool', async () => {
    const response = await login('admin', ADMIN_PASS);
    expect(response.status).toBe(200);
    const call = await post('/tools/call', { tool: 'echo', args: { text: 'hi' } }, await tokenOf(response));
    expect(call.status).toBe(200);
    expect(await call.json()).toMatchObject({ tool: 'echo', result: { text: 'hi' } });
  });

  it('users add creates a user who can log in and call what they were allowed', async () => {
    const added = await runBin(['users', 'add', 'alice', '--role', 'agent', '--tool', 'echo', '--url', base], { cwd: dir, env, input: 'alice-password-1\n' });
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(added.stdout).toBe(`created user alice (agent; may call echo) on ${base}\n`);

    const token = await tokenOf(await login('alice', 'alice-password-1'));
    expect((await post('/tools/call', { tool: 'echo', args: { text: 'from alice' } }, token)).status).toBe(200);
    expect((await post('/tools/call', { tool: 'file.write', args: { path: 'x.txt', content: 'x' } }, token)).status).toBe(403);
  });

  // The same command in process (no process start each): the cases the gateway decides.
  it('users add finds the gateway from PORT as serve reads it, and refuses to replace a user unless asked', async () => {
    const port = new URL(base).port;
    const again = await runInProcess(['users', 'add', 'alice'], { env: { ...env, PORT: port }, input: 'another-password\n' });
    expect(again).toMatchObject({ status: 1, stderr: 'agent-gateway: a user named "alice" exists; pass --replace to replace its password, role and tools\n' });

    const replaced = await runInProcess(['users', 'add', 'alice', '--replace'], { env: { ...env, PORT: port }, input: 'another-password\n' });
    expect(replaced.status).toBe(0);
    expect(replaced.stdout).toMatch(/^replaced user alice \(agent; may call every tool\)/);
    expect((await login('alice', 'another-password')).status).toBe(200);
  });

  it('users add says why the gateway refused', async () => {
    const short = await runInProcess(['users', 'add', 'bob', '--url', base], { env, input: 'short\n' });
    expect(short).toMatchObject({ status: 1, stderr: 'agent-gateway: the gateway refused (400 bad_request): password: must be at least 8 characters\n' });

    const wrongAdmin = await runInProcess(['users', 'add', 'bob', '--url', base], { env: { AGENT_GATEWAY_ADMIN_PASS: 'not-the-password' }, input: 'bob-password-1\n' });
    expect(wrongAdmin.status).toBe(1);
    expect(wrongAdmin.stderr).toMatch(/^agent-gateway: the gateway refused \(401 invalid_credentials\)/);

    const noPassword = await runInProcess(['users', 'add', 'bob', '--url', base], { env, input: '' });
    expect(noPassword.status).toBe(1);
    expect(noPassword.stderr).toMatch(/^agent-gateway: no password on standard input/);
  });

  it('stops cleanly on SIGTERM', async () => {
    stopped = await server.stop();
    expect(stopped.status).toBe(0);
    expect(stopped.stderr).not.toMatch(STACK_FRAME);
  });

  it('audit verify finds the log it left intact, and a tampered copy not (exit 1)', async () => {
    expect(stopped, 'the server stopped first').toBeDefined();
    const log = join(dir, 'logs', 'audit.log');
    const intact = await runBin(['audit', 'verify', log], { cwd: dir });
    expect(intact.stderr).toBe('');
    expect(intact.status).toBe(0);
    expect(intact.stdout).toMatch(/^OK .*audit\.log: \d+ entries up to seq \d+ in 1 file\(s\); reaches its checkpoint/);
    // The log holds who added alice, and as whom.
    const entries = (await readFile(log, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { event: string; details: Record<string, unknown> });
    expect(entries.filter((e) => e.event === 'user_created').map((e) => e.details.username)).toEqual(['admin', 'alice', 'alice']);

    await cp(join(dir, 'logs'), join(dir, 'tampered'), { recursive: true });
    const tampered = join(dir, 'tampered', 'audit.log');
    await writeFile(tampered, (await readFile(tampered, 'utf8')).replace('"username":"alice"', '"username":"mallory"'));
    const result = await runBin(['audit', 'verify', tampered], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^TAMPERED .*audit\.log line \d+ \(seq \d+\): hash does not match the entry \(it was edited\)/);
  });
});
