import type { KeyObject } from 'node:crypto';
import { basename } from 'node:path';
import { auditCheckpointSchema, checkpointPathOf, checkpointSignatureProblem, parsePublicKey, readCheckpoint, type AuditCheckpoint, type CheckpointRead } from './checkpoint.js';
import { walkChain } from './verify-chain.js';
import type { BrokenEntry, VerifyReport } from './verify-report.js';

/**
 * Options of `verifyAuditLog(path, options)`: the key to trust and the checkpoint to hold the chain against.
 */
export interface VerifyAuditLogOptions {
  /** The key the checkpoint must be signed with (PEM or KeyObject): `log.publicKey()`, kept somewhere safe. */
  readonly publicKey: KeyObject | string;
  /** The checkpoint to hold the chain against: a file (default `<path>.checkpoint.json`), or one a sink received. */
  readonly checkpoint?: string | AuditCheckpoint;
  readonly maxFiles?: number;
}

/** "entry 7 is" / "entries 7..9 are". */
export function seqRange(from: number, to: number): string {
  return from === to ? `entry ${from} is` : `entries ${from}..${to} are`;
}

function failed(report: VerifyReport, broken: BrokenEntry): VerifyReport {
  return { ...report, ok: false, first_broken: broken };
}

/**
 * Verifies an audit log as a whole: the hash chain (through rotated files beside it), then the
 * signed checkpoint of its head. The chain alone cannot show entries cut from the end; the
 * checkpoint can: the files must reach its seq, with its hash there, and its signature must verify
 * with the trusted key.
 */
export async function verifyAuditLog(path: string, options: VerifyAuditLogOptions): Promise<VerifyReport> {
  const publicKey = parsePublicKey(options.publicKey);
  const given = options.checkpoint;
  let checkpointFile: string | undefined;
  let read: CheckpointRead;
  if (typeof given === 'object') {
    const parsed = auditCheckpointSchema.safeParse(given);
    read = parsed.success ? { kind: 'ok', checkpoint: parsed.data } : { kind: 'unreadable', reason: 'the checkpoint given is not an audit checkpoint' };
  } else {
    checkpointFile = given ?? checkpointPathOf(path);
    // Read before the files: a checkpoint is written only after the entries it names are durable, so
    // a walk that starts after reading it must reach it, even while the log is being written.
    read = await readCheckpoint(checkpointFile);
  }
  const walk = await walkChain(path, { explain: true, ...(read.kind === 'ok' ? { hashAtSeq: read.checkpoint.seq } : {}), ...(options.maxFiles === undefined ? {} : { maxFiles: options.maxFiles }) });
  const { report } = walk;
  const afterLast = { file: report.files.at(-1) ?? path, line: walk.lastFileLines + 1 };
  if (read.kind !== 'ok') {
    if (!report.ok) return report;
    const name = checkpointFile === undefined ? 'given' : basename(checkpointFile);
    const reason =
      read.kind === 'missing'
        ? `there is no signed checkpoint (${name}): entries cut from the end cannot be ruled out`
        : `${read.reason} (${name}): entries cut from the end cannot be ruled out`;
    return failed(report, { ...afterLast, reason });
  }

  const checkpoint = read.checkpoint;
  const signatureProblem = checkpointSignatureProblem(checkpoint, publicKey);
  const { seq, hash, ts, key_id } = checkpoint;
  const withCheckpoint: VerifyReport = {
    ...report,
    checkpoint: { ...(checkpointFile === undefined ? {} : { file: checkpointFile }), seq, hash, ts, key_id, signature_valid: signatureProblem === undefined },
  };
  // A break in the chain is the earlier, more specific finding.
  if (!report.ok) return withCheckpoint;
  if (signatureProblem !== undefined) return failed(withCheckpoint, { ...afterLast, reason: signatureProblem });
  if (seq > report.last_seq) {
    return failed(withCheckpoint, {
      ...afterLast,
      seq: report.last_seq + 1,
      reason: `${seqRange(report.last_seq + 1, seq)} missing (cut from the end): the checkpoint signed at ${ts} says the log reached seq ${seq}, but it ends at seq ${report.last_seq}`,
    });
  }
  if (walk.hashAt === undefined) {
    return failed(withCheckpoint, {
      file: report.files[0] ?? path,
      line: 1,
      seq,
      reason: `the checkpoint's seq ${seq} is in a file no longer beside the log, so the files cannot be held against it`,
    });
  }
  if (walk.hashAt.hash !== hash) {
    return failed(withCheckpoint, {
      file: walk.hashAt.file,
      line: walk.hashAt.line,
      seq,
      reason: `the entry at seq ${seq} is not the one the signed checkpoint recorded: the log was rewritten at or before it`,
    });
  }
  return withCheckpoint;
}
