import { isAbsolute, resolve } from 'node:path';
import { detectBwrap } from '@agent-gateway/sandbox';
import type { ResolvedUpstream, StdioTransportConfig } from './upstream-options.js';

let detected: { usable: boolean; reason?: string } | undefined;

/** Probed once per process (it runs bwrap once): whether bubblewrap can make its namespaces here. */
function bubblewrap(): { usable: boolean; reason?: string } {
  detected ??= detectBwrap();
  return detected;
}

export interface LaunchCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** What confines the process, for `/health/upstreams`. */
  readonly isolation: 'bubblewrap' | 'none';
}

/**
 * The command that starts a stdio upstream: as configured, or inside bubblewrap when the upstream
 * asks for a sandbox: the whole file system read-only (so its program and node_modules still load),
 * a private /tmp, writable only the folders it names, no network unless allowed, its own pid
 * namespace, and dead with the gateway (`--die-with-parent`). A sandbox that is `required` (the
 * default) and cannot be made here stops the start with the reason; otherwise the upstream runs
 * unconfined and health says so.
 */
export function launchCommand(config: ResolvedUpstream, transport: StdioTransportConfig): LaunchCommand {
  const { sandbox } = config;
  if (sandbox === undefined) return { command: transport.command, args: transport.args, isolation: 'none' };
  const probe = bubblewrap();
  if (!probe.usable) {
    if (sandbox.required) throw new Error(`its sandbox is required but ${probe.reason ?? 'bubblewrap is not usable'}`);
    return { command: transport.command, args: transport.args, isolation: 'none' };
  }
  const cwd = transport.cwd ?? process.cwd();
  const writable = sandbox.writable.map((path) => (isAbsolute(path) ? path : resolve(cwd, path)));
  return {
    command: 'bwrap',
    args: [
      '--ro-bind', '/', '/',
      '--dev', '/dev',
      '--proc', '/proc',
      '--tmpfs', '/tmp',
      // After the tmpfs, so folders under /tmp stay the real ones; the writable ones last, so the
      // read-only working folder does not cover one inside it.
      '--ro-bind', cwd, cwd,
      ...writable.flatMap((path) => ['--bind', path, path]),
      '--chdir', cwd,
      '--unshare-all',
      ...(sandbox.network ? ['--share-net'] : []),
      '--die-with-parent',
      '--',
      transport.command,
      ...transport.args,
    ],
    isolation: 'bubblewrap',
  };
}
