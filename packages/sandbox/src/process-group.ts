/**
 * Process-group discipline for every child the gateway starts: the child is spawned `detached`, so
 * it leads its own group (on POSIX Node calls setsid()), and it is signalled as a group, so the
 * processes it started die with it. A child that moves itself to another group or session escapes
 * this; only a pid namespace (bubblewrap's `--unshare-pid`, a container) catches those.
 */

/**
 * Signals the whole group led by `pid`. Returns false when the group is already gone (ESRCH).
 * Falls back to the process alone when the group cannot be signalled (e.g. EPERM on a member).
 */
export function killProcessGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ESRCH') return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/**
 * Groups still to kill if this process exits without closing them (process.exit(), an uncaught
 * exception, the end of the event loop). A hard kill of the gateway runs no code at all: then only
 * bubblewrap's `--die-with-parent` and the workers' own exit on stdin EOF remain.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killLiveGroups(): void {
  for (const pid of liveGroups) killProcessGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

/** Remembers a group to kill at process exit; forget it once it has been killed. */
export function trackProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killLiveGroups);
  }
}

export function untrackProcessGroup(pid: number | undefined): void {
  if (pid !== undefined) liveGroups.delete(pid);
}
