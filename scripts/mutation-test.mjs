#!/usr/bin/env node
/**
 * `npm run test:mutation [-- group ...] [-- --mutate <file> ...]`: StrykerJS over the security core,
 * one group after another (scripts/mutation-groups.mjs), each against its own tests, then TESTING.md's
 * score table is rebuilt from the groups' JSON reports (scripts/mutation-report.mjs). Exits non-zero
 * when a group's score is under the break threshold (stryker.config.mjs) or Stryker fails.
 *
 * Names before `--` choose groups (default: all); anything after `--` goes to `stryker run`, e.g.
 * `npm run test:mutation -- auth -- --mutate packages/core/src/auth/jwt-codec.ts` to work on one file.
 * Slow (minutes per group, one core): not part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { GROUPS } from './mutation-groups.mjs';

const args = process.argv.slice(2);
const split = args.indexOf('--');
const names = split === -1 ? args : args.slice(0, split);
const strykerArgs = split === -1 ? [] : args.slice(split + 1);
const unknown = names.filter((name) => !(name in GROUPS));
if (unknown.length > 0) {
  console.error(`unknown group ${unknown.join(', ')}; the groups are ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}

const chosen = names.length === 0 ? Object.keys(GROUPS) : names;
let failed = false;
for (const group of chosen) {
  console.log(`\n== mutation testing: ${group}`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...strykerArgs], {
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  if (run.status !== 0) {
    console.error(`== ${group}: stryker exited with ${run.status ?? run.signal}`);
    failed = true;
  }
}
const command = ['npm run test:mutation', ...(args.length === 0 ? [] : ['--', ...args])].join(' ');
const report = spawnSync(process.execPath, ['scripts/mutation-report.mjs', '--command', command, ...chosen], { stdio: 'inherit' });
process.exit(failed || report.status !== 0 ? 1 : 0);
