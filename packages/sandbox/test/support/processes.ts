import { readdirSync, readFileSync } from 'node:fs';

/** Every live descendant of `pid` (host pids), from /proc/<pid>/task/<tid>/children (Linux). */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${next}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter((word) => word !== '').map(Number)) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

/** The program name of a process (`/proc/<pid>/comm`), or undefined when it is gone. */
export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * A pid a test may signal: a positive integer. `process.kill(0, …)` signals the caller's whole
 * process group, and a negative pid a group: a test that took `pool.pids[0] ?? 0` from a pool with
 * no workers (a mutant of the pool under mutation testing, or a bug) stopped or killed the test
 * runner itself, and under Stryker its whole run, instead of failing.
 */
export function assertPid(pid: number | undefined): number {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) throw new Error(`not a process id: ${pid}`);
  return pid;
}

/** `process.kill` on one process, refusing what is not one process's id (see assertPid). */
export function signalProcess(pid: number | undefined, signal: NodeJS.Signals | 0): void {
  process.kill(assertPid(pid), signal);
}

/**
 * The process running the worker's code: the pool's pid itself, or, under bubblewrap, the first
 * process inside it that is not bwrap (bwrap keeps a monitor outside and an init inside the sandbox).
 */
export function workerLeaf(workerPid: number | undefined): number {
  const pid = assertPid(workerPid);
  if (commandOf(pid) !== 'bwrap') return pid;
  return descendants(pid).find((child) => commandOf(child) !== 'bwrap') ?? pid;
}

/** Gone: no such process (ESRCH), or a zombie that only waits for its reaper. */
export function isGone(pid: number): boolean {
  assertPid(pid);
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls `check` until it holds, for at most `tries` rounds of 10 ms; then throws saying what did not happen. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
