import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { auditEntrySchema, entryBody, GENESIS_HASH, hashBody, type AuditEntry } from './audit-entry.js';
import { FILE_REPLACED, incidentOf, isIncident, mayBeIncident } from './incidents.js';
import { readLines } from './read-lines.js';
import type { BrokenEntry, Incident, VerifyReport } from './verify-report.js';

export type { BrokenEntry, CheckpointStatus, Incident, VerifyReport } from './verify-report.js';

export interface WalkOptions {
  readonly maxFiles?: number;
  /** Record the hash the chain has at this seq (to hold it against a checkpoint). */
  readonly hashAtSeq?: number;
  /** Scan past a break for the log's incident entries, and check kept copies of replaced files. */
  readonly explain?: boolean;
}

/** The report, plus what a checkpoint check needs. */
export interface Walk {
  readonly report: VerifyReport;
  /** Lines in the last file walked. */
  readonly lastFileLines: number;
  /** The hash at `hashAtSeq` and where that entry is, when it was walked (or is the anchor the first entry continues). */
  readonly hashAt?: HashAt;
}

export interface HashAt {
  readonly hash: string;
  readonly file: string;
  readonly line: number;
}

interface FileResult {
  entries: number;
  lastSeq: number;
  lastHash: string;
  lines: number;
  firstEntry?: AuditEntry;
  broken?: BrokenEntry;
  torn?: { line: number; bytes: number };
  hashAt?: HashAt;
  incidents: { incident: Incident; prev: string; keptFile?: string }[];
}

// Stryker disable BlockStatement: equivalent, an emptied catch falls through to the same undefined
function parseEntry(text: string): AuditEntry | undefined {
  try {
    const parsed = auditEntrySchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
// Stryker restore BlockStatement

/** Why an entry does not continue the chain at `last`, or `undefined` when it does. */
function linkProblem(entry: AuditEntry, last: { seq: number; hash: string }): string | undefined {
  if (entry.prev !== last.hash) return 'prev does not match the hash of the entry before (an entry was removed, inserted or moved)';
  if (entry.seq !== last.seq + 1) return `expected seq ${last.seq + 1}`;
  const { hash, ...rest } = entry;
  if (hashBody(entryBody(rest)) !== hash) return 'hash does not match the entry (it was edited)';
  return undefined;
}

/** Walks one file's lines, checking each entry's hash, its link to the one before, and the sequence. */
async function verifyFile(path: string, start: { seq: number; hash: string } | undefined, options: WalkOptions): Promise<FileResult> {
  const result: FileResult = { entries: 0, lastSeq: start?.seq ?? 0, lastHash: start?.hash ?? GENESIS_HASH, lines: 0, incidents: [] };
  let torn: { line: number; text: string } | undefined;
  const record = (entry: AuditEntry, line: number): void => {
    const keptFile = entry.event === FILE_REPLACED && typeof entry.details.previous_file === 'string' ? entry.details.previous_file : undefined;
    result.incidents.push({ incident: incidentOf(entry, path, line), prev: entry.prev, ...(keptFile === undefined ? {} : { keptFile }) });
  };
  for await (const { text, number, complete } of readLines(path)) {
    result.lines = number;
    if (result.broken !== undefined) {
      // Past a break nothing is verified; the log's own records of changes to its file may explain it.
      const entry = mayBeIncident(text) ? parseEntry(text) : undefined;
      if (entry !== undefined && isIncident(entry)) record(entry, number);
      continue;
    }
    const entry = parseEntry(text);
    if (entry === undefined) {
      // Only the bytes after the last newline can be a write cut short; a bad complete line is damage.
      if (complete) {
        result.broken = { file: path, line: number, reason: 'not a valid audit entry' };
        if (options.explain !== true) break;
      } else torn = { line: number, text };
      continue;
    }
    if (result.entries === 0 && start === undefined) {
      // The first entry of the first file walked: it either starts the chain or anchors to a rotated file.
      result.firstEntry = entry;
      let reason: string | undefined;
      if (entry.prev === GENESIS_HASH && entry.seq !== 1) reason = 'the chain does not start at seq 1';
      if (entry.prev !== GENESIS_HASH && entry.event !== 'log_rotated') {
        reason = 'the first entry neither starts the chain nor anchors to a rotated file (entries were removed from the start)';
      }
      if (reason !== undefined) {
        result.broken = { file: path, line: number, seq: entry.seq, reason };
        if (options.explain !== true) break;
        continue;
      }
      result.lastHash = entry.prev;
      result.lastSeq = entry.seq - 1;
      if (options.hashAtSeq === result.lastSeq) result.hashAt = { hash: entry.prev, file: path, line: number };
    }
    const problem = linkProblem(entry, { seq: result.lastSeq, hash: result.lastHash });
    if (problem !== undefined) {
      result.broken = { file: path, line: number, seq: entry.seq, reason: problem };
      if (isIncident(entry)) record(entry, number);
      if (options.explain !== true) break;
      continue;
    }
    if (isIncident(entry)) record(entry, number);
    result.entries += 1;
    result.lastSeq = entry.seq;
    result.lastHash = entry.hash;
    if (options.hashAtSeq === entry.seq) result.hashAt = { hash: entry.hash, file: path, line: number };
  }
  if (torn !== undefined && result.broken === undefined) result.torn = { line: torn.line, bytes: Buffer.byteLength(torn.text) };
  return result;
}

// Stryker disable ArrowFunction: equivalent, undefined is as false as false to every caller
async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
// Stryker restore ArrowFunction

/**
 * Whether `name` is a plain file name, as the log writes into its entries: a path (`../x`, `/x`,
 * `a/b`) or `.`/`..` would make the walk read outside the log's folder, and no log wrote it.
 */
function isFileName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && name === basename(name) && !name.includes('\0');
}

type Anchor = { readonly file: string; readonly hash: string } | { readonly refused: string };

/**
 * The rotated file this one continues, when its first entry is a rotation anchor. An anchor that
 * names no plain file beside this one is forged: refused, never followed and never taken as a start.
 */
function anchorOf(entry: AuditEntry | undefined, path: string): Anchor | undefined {
  if (entry?.event !== 'log_rotated') return undefined;
  const previous = entry.details.previous_file;
  if (!isFileName(previous)) return { refused: `the rotation anchor's previous_file ${JSON.stringify(previous)} is not a file name beside the log` };
  return { file: join(dirname(path), previous), hash: entry.prev };
}

async function firstEntryOf(path: string): Promise<AuditEntry | undefined> {
  // `return` inside the loop ends the generator, which closes the file.
  for await (const { text } of readLines(path)) return parseEntry(text);
  return undefined;
}

/** Checks the copy a replaced file's entry points at: does it verify, and end where the entry continues? */
async function withKeptCopy(found: FileResult['incidents'][number], dir: string): Promise<Incident> {
  const name = found.keptFile;
  if (!isFileName(name)) return found.incident;
  const file = join(dir, name);
  if (!(await exists(file))) return { ...found.incident, note: `${found.incident.note} (that copy is no longer there)` };
  const { report } = await walkChain(file, {});
  return { ...found.incident, kept_copy: { file, ok: report.ok, last_seq: report.last_seq, reaches_this_entry: report.ok && report.last_hash === found.prev } };
}

/**
 * Walks the chain of `path` and, through rotation anchors, of the rotated files before it that are
 * still beside it. Never throws for bad content; every file is closed whatever is found.
 */
export async function walkChain(path: string, options: WalkOptions): Promise<Walk> {
  const maxFiles = options.maxFiles ?? 1000;
  if (!(await exists(path))) {
    const missing = { file: path, line: 1, reason: 'the log file is missing (deleted or moved away)' };
    return { report: { ok: false, files: [], entries: 0, last_seq: 0, last_hash: GENESIS_HASH, first_broken: missing }, lastFileLines: 0 };
  }
  const chain: string[] = [path];
  let anchoredTo: { file: string; hash: string } | undefined;
  for (;;) {
    const oldest = chain[0] ?? path;
    const first = await firstEntryOf(oldest);
    const anchor = anchorOf(first, oldest);
    if (anchor === undefined) break;
    if ('refused' in anchor || chain.includes(anchor.file)) {
      const reason = 'refused' in anchor ? anchor.refused : 'the rotation anchors loop back to a file already walked';
      // Stryker disable next-line ConditionalExpression: equivalent, an anchor only comes from a first entry, so there is one
      const broken: BrokenEntry = { file: oldest, line: 1, ...(first === undefined ? {} : { seq: first.seq }), reason };
      return { report: { ok: false, files: chain, entries: 0, last_seq: 0, last_hash: GENESIS_HASH, first_broken: broken }, lastFileLines: 0 };
    }
    if (!(await exists(anchor.file)) || chain.length >= maxFiles) {
      anchoredTo = { file: basename(anchor.file), hash: anchor.hash };
      break;
    }
    chain.unshift(anchor.file);
  }

  let entries = 0;
  let position: { seq: number; hash: string } | undefined;
  let torn: VerifyReport['torn_tail'];
  let hashAt: HashAt | undefined;
  let lastFileLines = 0;
  const incidents: Incident[] = [];
  for (const file of chain) {
    const result = await verifyFile(file, position, options);
    entries += result.entries;
    hashAt = result.hashAt ?? hashAt;
    lastFileLines = result.lines;
    for (const found of result.incidents) incidents.push(options.explain === true ? await withKeptCopy(found, dirname(file)) : found.incident);
    const base = { files: chain, entries, last_seq: result.lastSeq, last_hash: result.lastHash, ...(incidents.length === 0 ? {} : { incidents }) };
    const broken: BrokenEntry | undefined =
      result.broken ?? (result.torn !== undefined && file !== chain[chain.length - 1] ? { file, line: result.torn.line, reason: 'a rotated file ends in an incomplete entry' } : undefined);
    if (broken !== undefined) {
      const explainedBy = incidents.find((i) => i.file === file && i.line >= broken.line);
      return { report: { ok: false, ...base, first_broken: explainedBy === undefined ? broken : { ...broken, explained_by: explainedBy } }, lastFileLines };
    }
    if (result.torn !== undefined) torn = { file, line: result.torn.line, bytes: result.torn.bytes };
    position = { seq: result.lastSeq, hash: result.lastHash };
  }
  // Stryker disable OptionalChaining: equivalent, the loop over at least one file sets position or returns
  const report: VerifyReport = {
    ok: true,
    files: chain,
    entries,
    last_seq: position?.seq ?? 0,
    last_hash: position?.hash ?? GENESIS_HASH,
    ...(torn === undefined ? {} : { torn_tail: torn }),
    ...(anchoredTo === undefined ? {} : { anchored_to: anchoredTo }),
    ...(incidents.length === 0 ? {} : { incidents }),
  };
  // Stryker restore OptionalChaining
  if (options.hashAtSeq === 0 && report.last_seq === 0) hashAt = { hash: GENESIS_HASH, file: path, line: 1 };
  return { report, lastFileLines, ...(hashAt === undefined ? {} : { hashAt }) };
}

/**
 * Verifies the chain of `path` (and of the rotated files before it that are still beside it) and
 * reports the first broken entry. This checks the chain only: entries cut from the end need the
 * signed checkpoint (`verifyAuditLog`).
 */
export async function verifyChain(path: string, maxFiles = 1000): Promise<VerifyReport> {
  return (await walkChain(path, { maxFiles, explain: true })).report;
}
