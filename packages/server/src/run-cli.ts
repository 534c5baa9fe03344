import { readFileSync } from 'node:fs';
import { runAuditCommand } from '@agent-gateway/core';
import { UsageError, type CommandIo } from './command-io.js';
import { serveCommand } from './serve/index.js';
import { usersCommand } from './users/index.js';

/** The help text of `agent-gateway`: its commands. */
export const USAGE = `usage: agent-gateway <command> [options]

Commands:
  serve          run the gateway over HTTP, configured from the environment and an optional --config file
  users add      create a user on a running gateway (through its admin API, so the change is audited)
  audit verify   check audit logs offline: the hash chain and the signed checkpoint

Run agent-gateway <command> --help for its options. Exit status: 0 done, 1 failed, 2 usage error.`;

/** This package's version; `../package.json` from both `src/` and `dist/`. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * `agent-gateway <args>`: the exit status, or undefined for `serve`, which runs until it is stopped.
 * A usage error prints its reason and the usage and answers 2; a command that could not do its work
 * (a gateway that refused or cannot be reached, a file that cannot be read) prints why and answers 1.
 * Never a stack trace: the reason is what the operator can act on.
 */
export async function runCli(args: readonly string[], io: CommandIo): Promise<number | undefined> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, io);
      case 'users':
        return await usersCommand(rest, io);
      case 'audit':
        // Core's command, which prints its own usage on a usage error. Its 1 means "tampered", so a
        // log that cannot be read (permissions, I/O) is a 2, as core's command has always answered.
        return await runAuditCommand(args, io).catch((error: unknown) => {
          io.err(`agent-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
          return 2;
        });
      case '--help':
      case '-h':
      case 'help':
        io.out(`${USAGE}\n`);
        return 0;
      case '--version':
      case '-v':
        io.out(`${version()}\n`);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command: ${command}`, USAGE);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`agent-gateway: ${error.message}\n\n${error.usage}\n`);
      return 2;
    }
    io.err(`agent-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
