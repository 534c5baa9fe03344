import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UsersFileLockOptions {
  /** How long to wait for another process's setup before giving up. Default 60 s. */
  readonly timeoutMs?: number;
  /** A lock older than this is taken to be left over from a crash. Default 120 s. */
  readonly staleMs?: number;
}

/**
 * Runs `task` holding `<path>.lock`, so processes that start together (cluster mode) set up one users
 * file one after another: the first brings it up to date and creates the bootstrap admin, and the
 * others read what it wrote. Without this each would mint its own instance ids, and a token issued by
 * one process would name a user instance the others have never seen. A lock whose process is gone
 * (or that is older than `staleMs`) is taken over.
 */
export async function withUsersFileLock<T>(path: string, task: () => Promise<T>, options: UsersFileLockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const owner = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  const staleMs = options.staleMs ?? 120_000;
  while (!(await tryCreate(lockPath, owner))) {
    if ((await isAbandoned(lockPath, staleMs)) && (await takeOver(lockPath, owner, staleMs))) continue;
    if (Date.now() > deadline) throw new Error(`users file ${path} is locked by another process (${lockPath}); if none is starting, remove the lock file`);
    await sleep(25);
  }
  try {
    return await task();
  } finally {
    // Only our own lock: one taken over as stale belongs to its new holder.
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === owner) await removeIfPresent(lockPath);
  }
}

/**
 * Removes an abandoned lock, judged again while holding `<lock>.takeover`. Of processes that found the
 * same abandoned lock, one removes it and the others, judging after it, find the lock its new holder made.
 * Removed without this guard, a slower one would remove that new lock too, and both would hold it.
 * `false` when another process is taking it over. Exported for its tests: the moment it guards against
 * cannot be reached on purpose through `withUsersFileLock`.
 */
export async function takeOver(lockPath: string, owner: string, staleMs: number): Promise<boolean> {
  const guard = `${lockPath}.takeover`;
  if (!(await tryCreate(guard, owner))) {
    // A guard whose process died mid-takeover would otherwise block every start from now on.
    if (await isAbandoned(guard, staleMs)) await removeIfPresent(guard);
    return false;
  }
  try {
    if (await isAbandoned(lockPath, staleMs)) await removeIfPresent(lockPath);
  } finally {
    await removeIfPresent(guard);
  }
  return true;
}

/**
 * Removes a lock or guard file; one already gone is no error. Each removal races with other processes
 * judging the same file abandoned, so the file may be gone by the time it is removed.
 */
export async function removeIfPresent(path: string): Promise<void> {
  await rm(path, { force: true });
}

async function tryCreate(lockPath: string, owner: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx', 0o600);
    try {
      await handle.writeFile(owner);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function isAbandoned(lockPath: string, staleMs: number): Promise<boolean> {
  // One handle, so the text and the age are of the same file, not of a lock and the one that replaced it.
  const handle = await open(lockPath, 'r').catch(() => undefined);
  // Gone meanwhile: try again rather than judge it.
  if (handle === undefined) return false;
  let text: string;
  let modifiedMs: number;
  try {
    text = await handle.readFile('utf8');
    modifiedMs = (await handle.stat()).mtimeMs;
  } finally {
    await handle.close();
  }
  if (Date.now() - modifiedMs > staleMs) return true;
  const pid = Number(text.split(' ')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
