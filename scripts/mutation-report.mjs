#!/usr/bin/env node
/**
 * Rebuilds the mutation score table in TESTING.md from StrykerJS's JSON reports
 * (reports/mutation/<group>.json), as scripts/benchmarks-file.ts does for BENCHMARKS.md.
 *
 * `node scripts/mutation-report.mjs [--command "<what was run>"] [group ...]`: each file in those
 * groups' reports gets its row (score, counts, date of the report, the command), and its surviving
 * mutants are listed; rows of files not in them are kept as they were, so one file can be run and
 * reported on its own. Default: every group that has a report.
 *
 * Score: killed and timed-out mutants over all that ran or were not covered (Stryker's "mutation
 * score"). Mutants disabled with a `// Stryker disable` comment (equivalent ones, each with its
 * reason) are counted apart and do not lower it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { GROUPS } from './mutation-groups.mjs';

const TESTING = 'TESTING.md';
const START = '<!-- mutation-scores:start -->';
const END = '<!-- mutation-scores:end -->';
const SURVIVORS_START = '<!-- mutation-survivors:start -->';
const SURVIVORS_END = '<!-- mutation-survivors:end -->';

const args = process.argv.slice(2);
const commandAt = args.indexOf('--command');
const command = commandAt === -1 ? undefined : args[commandAt + 1];
const groups = args.filter((arg, i) => arg !== '--command' && i !== commandAt + 1);
const chosen = groups.length === 0 ? Object.keys(GROUPS) : groups;
// A run limited by `--mutate a.ts,b.ts:10-20`: only those files were tested now. An incremental report
// also carries the group's other files from earlier runs; their rows keep the date and command they have.
const mutateArg = command === undefined ? undefined : /--mutate[ =](\S+)/.exec(command)?.[1];
const ranNow = mutateArg === undefined ? undefined : new Set(mutateArg.split(',').map((file) => file.replace(/:[0-9-]+$/, '')));

/** The rows between two markers, by their first cell (the file). */
function rowsBetween(text, start, end) {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`${TESTING} has no ${start} ... ${end} section`);
  const rows = new Map();
  for (const line of text.slice(from + start.length, to).split('\n')) {
    const file = /^\| `([^`]+)` \|/.exec(line)?.[1];
    if (file === undefined) continue;
    rows.set(file, [...(rows.get(file) ?? []), line]);
  }
  return rows;
}

function replaceBetween(text, start, end, body) {
  return `${text.slice(0, text.indexOf(start) + start.length)}\n${body}\n${text.slice(text.indexOf(end))}`;
}

const cell = (text) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const text = readFileSync(TESTING, 'utf8');
const scores = rowsBetween(text, START, END);
const survivors = rowsBetween(text, SURVIVORS_START, SURVIVORS_END);

let reported = 0;
for (const group of chosen) {
  const path = `reports/mutation/${group}.json`;
  if (!existsSync(path)) continue;
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const date = statSync(path).mtime.toISOString().slice(0, 10);
  const ran = command ?? `npm run test:mutation -- ${group}`;
  for (const [file, { mutants }] of Object.entries(report.files)) {
    if (ranNow !== undefined && !ranNow.has(file)) continue;
    const count = (...statuses) => mutants.filter((mutant) => statuses.includes(mutant.status)).length;
    const detected = count('Killed', 'Timeout');
    const valid = detected + count('Survived', 'NoCoverage');
    const score = valid === 0 ? 'n/a' : `${((100 * detected) / valid).toFixed(1)}%`;
    scores.set(file, [
      `| \`${file}\` | ${score} | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${count('Ignored')} | ${date} | \`${cell(ran)}\` |`,
    ]);
    const left = mutants
      .filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage')
      .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
      .map((mutant) => {
        const replacement = (mutant.replacement ?? '').split('\n')[0].slice(0, 80);
        return `| \`${file}\` | ${mutant.location.start.line} | ${mutant.status} | ${mutant.mutatorName} | \`${cell(replacement)}\` |`;
      });
    if (left.length === 0) survivors.delete(file);
    else survivors.set(file, left);
    reported += 1;
  }
}

const sorted = (rows) => [...rows.keys()].sort().flatMap((file) => rows.get(file));
let out = replaceBetween(
  text,
  START,
  END,
  ['| File | Score | Killed | Timed out | Survived | No coverage | Equivalent (disabled) | Run | Command |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |', ...sorted(scores)].join('\n'),
);
out = replaceBetween(
  out,
  SURVIVORS_START,
  SURVIVORS_END,
  ['| File | Line | Status | Mutator | Replacement |', '| --- | ---: | --- | --- | --- |', ...sorted(survivors)].join('\n'),
);
writeFileSync(TESTING, out);
console.log(`${TESTING}: ${reported} file(s) reported from ${chosen.join(', ')}`);
