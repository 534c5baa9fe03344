import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runBin, STACK_FRAME } from './support/agent-gateway-bin.js';
import { runInProcess } from './support/in-process.js';

describe('agent-gateway given wrongly', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-gateway-usage-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every usage error is a 2 with its reason and the usage of that command', async () => {
    const notJson = join(dir, 'not-json.json');
    await writeFile(notJson, '{"PORT": ');
    const cases: Array<[string[], RegExp]> = [
      [[], /^agent-gateway: no command given\n\nusage: agent-gateway <command>/],
      [['start'], /^agent-gateway: unknown command: start\n\nusage: agent-gateway <command>/],
      [['serve', '--colour'], /^agent-gateway: Unknown option '--colour'.*\n\nusage: agent-gateway serve/],
      [['serve', 'now'], /^agent-gateway: Unexpected argument 'now'.*\n\nusage: agent-gateway serve/],
      [['serve', '--config', join(dir, 'missing.json')], /^agent-gateway: config file .*missing\.json: cannot be read \(ENOENT\)\n\nusage: agent-gateway serve/],
      [['serve', '--config', notJson], /^agent-gateway: config file .*not-json\.json: is not JSON/],
      [['users'], /^agent-gateway: no users command given\n\nusage: agent-gateway users add/],
      [['users', 'remove', 'alice'], /^agent-gateway: unknown command: users remove\n\nusage: agent-gateway users add/],
      [['users', 'add'], /^agent-gateway: no username given\n\nusage: agent-gateway users add/],
      [['users', 'add', 'alice', 'bob'], /^agent-gateway: unexpected argument "bob"/],
      [['users', 'add', 'alice', '--role', 'root'], /^agent-gateway: --role must be one of admin, approver, agent, got "root"/],
      [['users', 'add', 'alice', '--url', 'localhost:8080'], /^agent-gateway: --url must be http:\/\/ or https:\/\//],
      [['users', 'add', 'alice'], /^agent-gateway: AGENT_GATEWAY_ADMIN_PASS is not set: users add signs in to the gateway as its admin\n\nusage: agent-gateway users add/],
      [['audit'], /^agent-gateway: unknown command: audit\n\nusage: agent-gateway audit verify/],
      [['audit', 'verify'], /^agent-gateway: no log file given\n\nusage: agent-gateway audit verify/],
    ];
    for (const [args, message] of cases) {
      const result = await runInProcess(args, { input: 'a-password\n' });
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });

  it('--help of each command is its usage on stdout, exit 0', async () => {
    for (const [args, usage] of [[['--help'], 'usage: agent-gateway <command>'], [['serve', '--help'], 'usage: agent-gateway serve'], [['users', '--help'], 'usage: agent-gateway users add'], [['audit', 'verify', '--help'], 'usage: agent-gateway audit verify']] as const) {
      const result = await runInProcess(args);
      expect(result.status, args.join(' ')).toBe(0);
      expect(result.stdout.startsWith(usage), args.join(' ')).toBe(true);
    }
    expect((await runInProcess(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  // As real processes: the exit status a shell sees, and nothing but the reason on stderr.
  describe(`as a process (${bin.label})`, () => {
    it('an unknown command exits 2 with the usage', async () => {
      const result = await runBin(['stat'], { cwd: dir });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^agent-gateway: unknown command: stat\n\nusage: agent-gateway <command>/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    });

    it('serve without the admin password, or with a bad PORT, exits 1 naming the variable', async () => {
      const noPassword = await runBin(['serve'], { cwd: dir });
      expect(noPassword.status).toBe(1);
      expect(noPassword.stderr).toMatch(/^agent-gateway: invalid configuration:\n {2}- AGENT_GATEWAY_ADMIN_PASS: is required/);
      const badPort = await runBin(['serve', '--port', '80000'], { cwd: dir, env: { AGENT_GATEWAY_ADMIN_PASS: 'x' } });
      expect(badPort.status).toBe(1);
      expect(badPort.stderr).toBe('agent-gateway: PORT must be 0..65535, got "80000"\n');
      for (const result of [noPassword, badPort]) expect(result.stderr).not.toMatch(STACK_FRAME);
    });

    it('users add exits 1 when no gateway answers', async () => {
      const result = await runBin(['users', 'add', 'alice', '--url', 'http://127.0.0.1:9'], { cwd: dir, env: { AGENT_GATEWAY_ADMIN_PASS: 'x' }, input: 'a-password\n' });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^agent-gateway: cannot reach the gateway at http:\/\/127\.0\.0\.1:9 \(.+\); is `agent-gateway serve` running there\?/);
      expect(result.stderr).not.toMatch(STACK_FRAME);
    });
  });
});
