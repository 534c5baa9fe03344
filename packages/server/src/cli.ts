#!/usr/bin/env node
// The `agent-gateway` command (package.json "bin"). What each command does is in run-cli.ts.
import { runCli } from './run-cli.js';

const io = { out: (text: string) => process.stdout.write(text), err: (text: string) => process.stderr.write(text), stdin: process.stdin, env: process.env };

const status = await runCli(process.argv.slice(2), io);
// `serve` answers nothing: the server runs until a signal stops it.
if (status !== undefined) process.exitCode = status;
