import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { auditEntrySchema, entryBody, GENESIS_HASH, hashBody, type AuditEntry } from './audit-entry.js';

export interface BrokenEntry {
  readonly file: string;
  /** 1-based line number in that file. */
  readonly line: number;
  readonly seq?: number;
  readonly reason: string;
}

/** What `verify()` found. `ok` is false exactly when `first_broken` is set. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Files walked, oldest first. */
  readonly files: string[];
  readonly entries: number;
  readonly last_seq: number;
  readonly last_hash: string;
  readonly first_broken?: BrokenEntry;
  /** An incomplete last line (a write cut short by a crash): skipped, not counted, not an error. */
  readonly torn_tail?: { readonly file: string; readonly line: number; readonly bytes: number };
  /** The first file continues a rotated file that is no longer beside it (archived): its anchor. */
  readonly anchored_to?: { readonly file: string; readonly hash: string };
}

interface FileResult {
  entries: number;
  lastSeq: number;
  lastHash: string;
  firstEntry?: AuditEntry;
  broken?: BrokenEntry;
  torn?: { line: number; bytes: number };
}

/** Walks one file's lines, checking each entry's hash, its link to the one before, and the sequence. */
async function verifyFile(path: string, start: { seq: number; hash: string } | undefined): Promise<FileResult> {
  const result: FileResult = { entries: 0, lastSeq: start?.seq ?? 0, lastHash: start?.hash ?? GENESIS_HASH };
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  let pendingBad: { line: number; text: string; reason: string } | undefined;
  for await (const text of lines) {
    lineNumber += 1;
    if (pendingBad !== undefined) {
      // A bad line followed by more lines is damage, not a torn tail.
      result.broken = { file: path, line: pendingBad.line, reason: pendingBad.reason };
      break;
    }
    let entry: AuditEntry;
    try {
      const parsed = auditEntrySchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error('not an audit entry');
      entry = parsed.data;
    } catch {
      pendingBad = { line: lineNumber, text, reason: 'not a valid audit entry' };
      continue;
    }
    const isFirst = result.entries === 0;
    if (isFirst && start === undefined) {
      // The first entry of the first file walked: it either starts the chain or anchors to a rotated file.
      result.firstEntry = entry;
      if (entry.prev === GENESIS_HASH && entry.seq !== 1) {
        result.broken = { file: path, line: lineNumber, seq: entry.seq, reason: 'the chain does not start at seq 1' };
        break;
      }
      if (entry.prev !== GENESIS_HASH && entry.event !== 'log_rotated') {
        result.broken = { file: path, line: lineNumber, seq: entry.seq, reason: 'the first entry neither starts the chain nor anchors to a rotated file (entries were removed from the start)' };
        break;
      }
      result.lastHash = entry.prev;
      result.lastSeq = entry.seq - 1;
    }
    if (entry.prev !== result.lastHash) {
      result.broken = { file: path, line: lineNumber, seq: entry.seq, reason: 'prev does not match the hash of the entry before (an entry was removed, inserted or moved)' };
      break;
    }
    if (entry.seq !== result.lastSeq + 1) {
      result.broken = { file: path, line: lineNumber, seq: entry.seq, reason: `expected seq ${result.lastSeq + 1}` };
      break;
    }
    const { hash, ...rest } = entry;
    if (hashBody(entryBody(rest)) !== hash) {
      result.broken = { file: path, line: lineNumber, seq: entry.seq, reason: 'hash does not match the entry (it was edited)' };
      break;
    }
    result.entries += 1;
    result.lastSeq = entry.seq;
    result.lastHash = hash;
  }
  lines.close();
  if (pendingBad !== undefined && result.broken === undefined) {
    result.torn = { line: pendingBad.line, bytes: Buffer.byteLength(pendingBad.text) };
  }
  return result;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The rotated file this one continues, when its first entry is a rotation anchor. */
function anchorOf(entry: AuditEntry | undefined, path: string): { file: string; hash: string } | undefined {
  if (entry?.event !== 'log_rotated') return undefined;
  const previous = entry.details.previous_file;
  if (typeof previous !== 'string' || previous !== basename(previous)) return undefined;
  return { file: join(dirname(path), previous), hash: entry.prev };
}

/**
 * Verifies the chain of `path` and, through rotation anchors, of the rotated files before it that
 * are still beside it. Reports the first broken entry; never throws for bad content.
 */
export async function verifyChain(path: string, maxFiles = 1000): Promise<VerifyReport> {
  // Find the oldest file still present, following anchors backwards.
  const chain: string[] = [path];
  let anchoredTo: { file: string; hash: string } | undefined;
  for (;;) {
    const first = await verifyFirstEntry(chain[0] ?? path);
    const anchor = anchorOf(first, chain[0] ?? path);
    if (anchor === undefined) break;
    if (!(await exists(anchor.file)) || chain.length >= maxFiles) {
      anchoredTo = { file: basename(anchor.file), hash: anchor.hash };
      break;
    }
    chain.unshift(anchor.file);
  }

  let entries = 0;
  let position: { seq: number; hash: string } | undefined;
  let torn: VerifyReport['torn_tail'];
  for (const file of chain) {
    const result = await verifyFile(file, position);
    entries += result.entries;
    if (result.broken !== undefined) {
      return { ok: false, files: chain, entries, last_seq: result.lastSeq, last_hash: result.lastHash, first_broken: result.broken };
    }
    if (result.torn !== undefined) {
      if (file !== chain[chain.length - 1]) {
        return {
          ok: false, files: chain, entries, last_seq: result.lastSeq, last_hash: result.lastHash,
          first_broken: { file, line: result.torn.line, reason: 'a rotated file ends in an incomplete entry' },
        };
      }
      torn = { file, line: result.torn.line, bytes: result.torn.bytes };
    }
    position = { seq: result.lastSeq, hash: result.lastHash };
  }
  return {
    ok: true,
    files: chain,
    entries,
    last_seq: position?.seq ?? 0,
    last_hash: position?.hash ?? GENESIS_HASH,
    ...(torn === undefined ? {} : { torn_tail: torn }),
    ...(anchoredTo === undefined ? {} : { anchored_to: anchoredTo }),
  };
}

async function verifyFirstEntry(path: string): Promise<AuditEntry | undefined> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const text of lines) {
      try {
        const parsed = auditEntrySchema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  } finally {
    lines.close();
  }
}
