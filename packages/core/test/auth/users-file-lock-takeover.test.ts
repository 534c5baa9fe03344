import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { takeOver, withUsersFileLock } from '../../src/auth/users-file-lock.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'users-lock-takeover-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** No process has this id (above the kernel's pid_max). */
const GONE = '2147483646 gone';

describe('withUsersFileLock: taking over an abandoned lock', () => {
  it('of several that find one abandoned lock together, only one holds the lock at a time', async () => {
    const dir = await tempDir();
    let inside = 0;
    let most = 0;
    for (let round = 0; round < 20; round += 1) {
      const file = join(dir, `users-${round}.json`);
      await writeFile(`${file}.lock`, GONE);
      const hold = () =>
        withUsersFileLock(
          file,
          async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 20));
            inside -= 1;
          },
          { timeoutMs: 10_000 },
        );
      await Promise.all([hold(), hold(), hold(), hold(), hold()]);
      await expect(stat(`${file}.lock.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
    }
    expect(most).toBe(1);
  });

  it('waits while another process is taking the lock over, and leaves both files alone', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(`${file}.lock`, GONE);
    await writeFile(`${file}.lock.takeover`, `${process.pid} taking-over`);
    await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 100 })).rejects.toThrow(/is locked by another process/);
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(GONE);
    expect(await readFile(`${file}.lock.takeover`, 'utf8')).toBe(`${process.pid} taking-over`);
  });

  it('clears a takeover guard left by a process that died mid-takeover, then takes the lock over', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(`${file}.lock`, GONE);
    await writeFile(`${file}.lock.takeover`, GONE);
    await expect(withUsersFileLock(file, async () => 'taken over', { timeoutMs: 5_000 })).resolves.toBe('taken over');
    await expect(stat(`${file}.lock.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('judges the lock again under the guard: one made meanwhile by a live holder, or none at all, is left as it is', async () => {
    const file = join(await tempDir(), 'users.json');
    // Found abandoned a moment ago, it has since been taken over by a live process.
    await writeFile(`${file}.lock`, `${process.pid} new-holder`);
    await expect(takeOver(`${file}.lock`, `${process.pid} me`, 120_000)).resolves.toBe(true);
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(`${process.pid} new-holder`);
    await expect(stat(`${file}.lock.takeover`)).rejects.toMatchObject({ code: 'ENOENT' });
    // Released meanwhile: nothing to judge, nothing to remove.
    await rm(`${file}.lock`);
    await expect(takeOver(`${file}.lock`, `${process.pid} me`, 120_000)).resolves.toBe(true);
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(`${file}.lock`, GONE);
    await expect(takeOver(`${file}.lock`, `${process.pid} me`, 120_000)).resolves.toBe(true);
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
