import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configFromEnv, createGatewayFromConfig, silentLogger } from '../../src/index.js';
import { withUsersFileLock } from '../../src/auth/users-file-lock.js';

const noPool = { health: async () => ({ healthy: true, alive: 0, size: 0 }) };

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'users-lock-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('setting up one users file from processes that start together (cluster mode)', () => {
  it('two gateways started at once on a fresh users file agree on the bootstrap admin: tokens work on both', async () => {
    const dir = await tempDir();
    const config = configFromEnv({
      AGENT_GATEWAY_ADMIN_PASS: 'pw',
      AGENT_GATEWAY_JWT_SECRET: 'a-shared-secret-of-at-least-32-bytes!!',
      AGENT_GATEWAY_USERS_PATH: join(dir, 'users.json'),
      AGENT_GATEWAY_AUDIT_PATH: join(dir, 'audit.log'),
      AGENT_GATEWAY_STATE_DIR: join(dir, 'state'),
    });
    const options = { logger: silentLogger, workerPool: noPool, auth: { passwordHashing: { logN: 10, r: 8, p: 1 } } };
    // `auth` carries no userStore, so each opens the users file itself, as a cluster worker does.
    const [a, b] = await Promise.all([createGatewayFromConfig(config, options), createGatewayFromConfig(config, options)]);
    onTestFinished(async () => {
      await a.close();
      await b.close();
    });
    const fromA = await a.auth.login('admin', 'pw', { address: 'x' });
    const fromB = await b.auth.login('admin', 'pw', { address: 'x' });
    await expect(b.auth.authenticate(fromA.accessToken)).resolves.toMatchObject({ id: 'admin' });
    await expect(a.auth.authenticate(fromB.accessToken)).resolves.toMatchObject({ id: 'admin' });
  });

  it('runs one holder at a time, and removes its lock afterwards', async () => {
    const file = join(await tempDir(), 'users.json');
    let inside = 0;
    let most = 0;
    const hold = () =>
      withUsersFileLock(file, async () => {
        inside += 1;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside -= 1;
      });
    await Promise.all([hold(), hold(), hold()]);
    expect(most).toBe(1);
    await expect(readFile(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock left by a process that is gone, and gives up on a live one with a clear message', async () => {
    const file = join(await tempDir(), 'users.json');
    // No process has this id (above the kernel's pid_max).
    await writeFile(`${file}.lock`, '2147483646 deadbeef');
    await expect(withUsersFileLock(file, async () => 'done')).resolves.toBe('done');
    await writeFile(`${file}.lock`, `${process.pid} someone-else`);
    await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 50 })).rejects.toThrow(/is locked by another process/);
  });
});
