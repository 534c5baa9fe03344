import { spawnSync } from 'node:child_process';
import { dirname, extname } from 'node:path';

/** What confines a worker process, as `health()` reports it. */
export interface IsolationReport {
  /** Node's permission model limits file access to the scratch dir (JavaScript workers only). */
  readonly permissionModel: boolean;
  /** bubblewrap: no network, read-only system, own pid namespace. */
  readonly bwrap: boolean;
  /** Why bwrap is not used, when it is not. */
  readonly bwrapReason?: string;
  /**
   * Workers die with the gateway even when it is killed outright (SIGKILL, OOM): bubblewrap's
   * `--die-with-parent`, or else util-linux `setpriv --pdeathsig KILL`. Without it a worker ends on
   * stdin EOF, which a worker stuck in a tool never reads.
   */
  readonly dieWithParent: boolean;
  readonly heapLimitMb: number | undefined;
}

/**
 * How workers are isolated: `bwrap` (bubblewrap, required), `none`, or `auto` (bubblewrap when it works
 * here).
 */
export type IsolationMode = 'auto' | 'bwrap' | 'none';

/** Whether `bwrap` is installed and can create its namespaces here (containers often forbid it). */
export function detectBwrap(): { usable: boolean; reason?: string } {
  const probe = spawnSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--', 'true'], {
    stdio: 'ignore',
    timeout: 5000,
    killSignal: 'SIGKILL',
  });
  if (probe.error !== undefined) return { usable: false, reason: `bwrap not available: ${probe.error.message}` };
  if (probe.status !== 0) return { usable: false, reason: `bwrap cannot create namespaces here (exit ${probe.status})` };
  return { usable: true };
}

/** Whether util-linux `setpriv --pdeathsig` works here (Linux; what a worker without bubblewrap uses to die with the gateway). */
export function detectParentDeathSignal(): boolean {
  const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore', timeout: 5000, killSignal: 'SIGKILL' });
  return probe.error === undefined && probe.status === 0;
}

/** The permission flag this Node knows: `--permission` from Node 22.13/23.5, before that `--experimental-permission`. */
function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
}

/**
 * What `workerCommand` builds a worker's command line from: the program, its folders, its heap limit and its
 * isolation.
 */
export interface WorkerCommandOptions {
  readonly workerPath: string;
  readonly scratchDir: string;
  readonly toolsDir: string | undefined;
  readonly heapLimitMb: number;
  readonly bwrap: boolean;
  /** Without bwrap: start the worker under `setpriv --pdeathsig KILL` (see `detectParentDeathSignal`). */
  readonly parentDeathSignal?: boolean;
}

/**
 * The command that starts one worker: `python3` for a `.py` worker, otherwise Node with the
 * permission model (read: the worker, its tools, scratch; write: scratch only) and a heap limit;
 * the whole wrapped in bubblewrap when that is usable (else in `setpriv --pdeathsig KILL` when asked).
 */
export function workerCommand(options: WorkerCommandOptions): { command: string; args: string[]; permissionModel: boolean } {
  const { workerPath, scratchDir, toolsDir } = options;
  let command: string;
  let args: string[];
  let permissionModel = false;
  if (extname(workerPath) === '.py') {
    command = 'python3';
    // -I: ignore PYTHON* variables and the user's site-packages; -u: unbuffered stdout.
    args = ['-I', '-u', workerPath];
  } else {
    command = process.execPath;
    permissionModel = true;
    const warnings = process.allowedNodeEnvironmentFlags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : [];
    args = [
      permissionFlag(),
      `--allow-fs-read=${workerPath}`,
      ...(toolsDir === undefined ? [] : [`--allow-fs-read=${toolsDir}/`]),
      `--allow-fs-read=${scratchDir}/`,
      `--allow-fs-write=${scratchDir}/`,
      `--max-old-space-size=${options.heapLimitMb}`,
      ...warnings,
      workerPath,
    ];
  }
  if (!options.bwrap) {
    // SIGKILL to the worker when the gateway's thread that spawned it dies, however it died.
    if (options.parentDeathSignal === true) return { command: 'setpriv', args: ['--pdeathsig', 'KILL', '--', command, ...args], permissionModel };
    return { command, args, permissionModel };
  }
  const visible = [dirname(workerPath), ...(toolsDir === undefined ? [] : [toolsDir])];
  return {
    command: 'bwrap',
    args: [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--tmpfs', '/tmp',
      // Mounted after the tmpfs, so they stay visible even when they live under /tmp.
      ...visible.flatMap((path) => ['--ro-bind', path, path]),
      '--bind', scratchDir, scratchDir,
      '--chdir', scratchDir,
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--',
      command,
      ...args,
    ],
    permissionModel,
  };
}

/**
 * The worker's whole environment: nothing of the gateway's (no secrets, no proxies, no NODE_OPTIONS),
 * only a minimal PATH, a home in its scratch dir, and the variables the pool means it to have.
 */
export function scrubbedEnvironment(scratchDir: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: scratchDir, TMPDIR: scratchDir, LANG: 'C.UTF-8', ...extra };
}
