#!/usr/bin/env node
// The `agent-gateway` command of @agent-gateway/core. For now: `agent-gateway audit verify <file...>`.
import { runCommand } from './audit/verify-command.js';

runCommand(process.argv.slice(2), { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    // Not a usage error and not a finding: the files could not be read (permissions, I/O).
    process.stderr.write(`agent-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
