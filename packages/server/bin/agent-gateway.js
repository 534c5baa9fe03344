#!/usr/bin/env node
// The `agent-gateway` command; it is dist/cli.js. This file exists before any build, so npm links the
// command in a fresh clone too: npm skips a bin whose file is missing when it installs, and a clone
// installs (npm ci) before it builds.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('agent-gateway: @agent-gateway/server is not built yet (npm run build)\n');
  process.exit(1);
}
await import(cli.href);
