import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Builds the image and brings up compose.yaml where a Docker engine answers; elsewhere says why not.
// dockerfile.test.ts holds both to their promises everywhere.
const root = resolve(__dirname, '../../..');
const dir = resolve(__dirname, '..');
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** Generous: a bound on a hang while the gateway starts (scrypt for the admin, the sandbox pool), not a measurement. */
const HEALTHY_WITHIN_MS = 3 * 60_000;

function engine(): { reachable: true } | { reachable: false; reason: string } {
  const probe = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error !== undefined) return { reachable: false, reason: `the docker command cannot be run (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})` };
  if (probe.status !== 0) return { reachable: false, reason: `no Docker engine answers (${probe.stderr.trim().split('\n').at(-1) ?? `exit ${probe.status}`})` };
  return { reachable: true };
}

const docker = engine();
const skipReason = docker.reachable ? undefined : docker.reason;
if (skipReason !== undefined) console.warn(`skipped: building the server's Docker image and compose.yaml (${skipReason})`);

interface Done {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Done> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

async function ok(command: string, args: readonly string[], options?: { env?: Record<string, string>; input?: string }): Promise<string> {
  const result = await run(command, args, options);
  expect(result.status, `${command} ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout.trim();
}

describe.skipIf(skipReason !== undefined)(`the server's Docker image and compose.yaml (${skipReason === undefined ? 'a Docker engine answers' : `skipped: ${skipReason}`})`, () => {
  const tag = `agent-gateway-server:test-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    await run('docker', ['rmi', '-f', tag]);
  });

  it('builds, and the image becomes healthy with a read-only root file system as a user that is not root', async () => {
    await ok('docker', ['build', '-f', join(dir, 'Dockerfile'), '-t', tag, root]);
    const volume = `agent-gateway-test-${randomBytes(4).toString('hex')}`;
    const container = await ok('docker', ['run', '-d', '--read-only', '--tmpfs', '/tmp', '-v', `${volume}:/data`, '-p', '127.0.0.1::8080', '-e', 'AGENT_GATEWAY_ADMIN_PASS=admin-password-1', tag]);
    try {
      await vi.waitFor(async () => expect(await ok('docker', ['inspect', '--format', '{{.State.Health.Status}}', container])).toBe('healthy'), { timeout: HEALTHY_WITHIN_MS, interval: 2000 });
      expect(await ok('docker', ['exec', container, 'id', '-u'])).not.toBe('0');
      const address = (await ok('docker', ['port', container, '8080/tcp'])).split('\n')[0] ?? '';
      expect((await fetch(`http://${address}/health`)).status).toBe(200);
      const added = await ok('docker', ['exec', '-i', '-e', 'AGENT_GATEWAY_ADMIN_PASS=admin-password-1', container, 'agent-gateway', 'users', 'add', 'alice'], { input: 'alice-password-1\n' });
      expect(added).toMatch(/^created user alice/);
    } finally {
      await run('docker', ['rm', '-f', container]);
      await run('docker', ['volume', 'rm', volume]);
    }
  }, BUILD_TIMEOUT_MS + HEALTHY_WITHIN_MS);

  it('compose.yaml brings up two gateways on Redis that accept each other\'s tokens', async () => {
    const work = await mkdtemp(join(tmpdir(), 'agent-gateway-compose-'));
    const envFile = join(work, 'gateway.env');
    await writeFile(envFile, `AGENT_GATEWAY_ADMIN_PASS=admin-password-1\nAGENT_GATEWAY_JWT_SECRET=${randomBytes(48).toString('base64')}\n`);
    await chmod(envFile, 0o600);
    const project = `agent-gateway-test-${randomBytes(4).toString('hex')}`;
    const compose = ['compose', '-p', project, '-f', join(dir, 'compose.yaml')];
    const env = { GATEWAY_ENV_FILE: envFile, GATEWAY_1_PORT: '', GATEWAY_2_PORT: '' };
    try {
      await ok('docker', [...compose, 'up', '-d', '--build', '--wait', '--wait-timeout', String(HEALTHY_WITHIN_MS / 1000)], { env });
      const [one, two] = await Promise.all(['gateway-1', 'gateway-2'].map(async (service) => `http://${(await ok('docker', [...compose, 'port', service, '8080'], { env })).split('\n')[0] ?? ''}`));
      const login = await fetch(`${one}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }) });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const call = await fetch(`${two}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ tool: 'echo', args: { text: 'across' } }) });
      expect(call.status).toBe(200);
    } finally {
      await run('docker', [...compose, 'down', '-v'], { env });
      await rm(work, { recursive: true, force: true });
    }
  }, BUILD_TIMEOUT_MS + HEALTHY_WITHIN_MS);
});
