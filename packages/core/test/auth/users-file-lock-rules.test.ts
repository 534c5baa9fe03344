import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { removeIfPresent, withUsersFileLock } from '../../src/auth/users-file-lock.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'users-lock-rules-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const TEN_MINUTES_AGO = () => new Date(Date.now() - 600_000);

describe('withUsersFileLock: the lock file', () => {
  it('is <path>.lock, private, and names this process while the task runs; its directory is made private', async () => {
    const file = join(await tempDir(), 'a', 'b', 'users.json');
    const seen = await withUsersFileLock(file, async () => ({
      text: await readFile(`${file}.lock`, 'utf8'),
      mode: (await stat(`${file}.lock`)).mode & 0o777,
      dirMode: (await stat(join(file, '..'))).mode & 0o777,
    }));
    expect(seen.text).toMatch(new RegExp(`^${process.pid} [0-9a-f]{16}$`));
    expect(seen.mode).toBe(0o600);
    expect(seen.dirMode).toBe(0o700);
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('is released when the task fails, and the failure is passed on', async () => {
    const file = join(await tempDir(), 'users.json');
    await expect(
      withUsersFileLock(file, async () => {
        throw new Error('setup failed');
      }),
    ).rejects.toThrow('setup failed');
    await expect(stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(withUsersFileLock(file, async () => 'again', { timeoutMs: 200 })).resolves.toBe('again');
  });

  it('is left alone when it is no longer ours (taken over meanwhile)', async () => {
    const file = join(await tempDir(), 'users.json');
    await withUsersFileLock(file, async () => {
      await writeFile(`${file}.lock`, `${process.pid} the-new-holder`);
    });
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(`${process.pid} the-new-holder`);
  });

  it('a failure to create it other than "exists" is passed on at once, not waited out', async () => {
    const file = join(await tempDir(), 'x'.repeat(300));
    await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 3_000 })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
  });
});

describe('withUsersFileLock: a lock held by someone else', () => {
  it('waits for a live holder to finish, then runs', async () => {
    const file = join(await tempDir(), 'users.json');
    const order: string[] = [];
    let release = (): void => undefined;
    const first = withUsersFileLock(file, async () => {
      order.push('first');
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    await expect.poll(() => order).toEqual(['first']);
    const second = withUsersFileLock(file, async () => order.push('second'), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(['first']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('a live holder older than staleMs (default 2 minutes) is taken to be left over and taken over', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(`${file}.lock`, `${process.pid} stuck`);
    await utimes(`${file}.lock`, TEN_MINUTES_AGO(), TEN_MINUTES_AGO());
    await expect(withUsersFileLock(file, async () => 'taken over', { timeoutMs: 5_000 })).resolves.toBe('taken over');
    await writeFile(`${file}.lock`, `${process.pid} stuck`);
    await utimes(`${file}.lock`, TEN_MINUTES_AGO(), TEN_MINUTES_AGO());
    await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 100, staleMs: 3_600_000 })).rejects.toThrow(/is locked by another process/);
    await expect(withUsersFileLock(file, async () => 'taken over', { timeoutMs: 5_000, staleMs: 60_000 })).resolves.toBe('taken over');
  });

  it('a lock taken over is tried again at once, even past the deadline', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(`${file}.lock`, '2147483646 gone');
    await expect(withUsersFileLock(file, async () => 'taken over', { timeoutMs: -1_000 })).resolves.toBe('taken over');
  });

  it('a live holder younger than staleMs is waited for, and the error names the file and the lock', async () => {
    const file = join(await tempDir(), 'users.json');
    await writeFile(`${file}.lock`, `${process.pid} live`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 100 })).rejects.toThrow(
      `users file ${file} is locked by another process (${file}.lock); if none is starting, remove the lock file`,
    );
    expect(await readFile(`${file}.lock`, 'utf8')).toBe(`${process.pid} live`);
  });

  it('a lock that names no process (empty, still being written, or garbage) is not judged gone before it is stale', async () => {
    const file = join(await tempDir(), 'users.json');
    // A negative number would name a process group to `kill`: the lone -2147483646 names none, yet is no process either.
    for (const text of ['', 'garbage', 'NaN x', '1.5 x', '-2147483646 x']) {
      await writeFile(`${file}.lock`, text);
      await expect(withUsersFileLock(file, async () => 'never', { timeoutMs: 60 })).rejects.toThrow(/is locked by another process/);
      expect(await readFile(`${file}.lock`, 'utf8')).toBe(text);
    }
  });
});

describe('withUsersFileLock: what it leaves behind', () => {
  it('no open file: every lock it makes, reads and judges is closed (a users file is set up at every start)', async () => {
    const file = join(await tempDir(), 'users.json');
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let round = 0; round < 40; round += 1) {
      // An abandoned lock to judge and take over, then one of its own to make, read back and remove.
      await writeFile(`${file}.lock`, '2147483646 gone');
      await withUsersFileLock(file, async () => round, { timeoutMs: 5_000 });
    }
    // A handle a round leaked would be 40 (fewer if the garbage collector closes some); the slack is for
    // the runner's own files.
    expect(openFiles() - before).toBeLessThan(5);
  });

  it('a lock or guard already gone when it is removed is no error (others judge the same file at once)', async () => {
    const path = join(await tempDir(), 'users.json.lock');
    await writeFile(path, 'x');
    await removeIfPresent(path);
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(removeIfPresent(path)).resolves.toBeUndefined();
  });
});
