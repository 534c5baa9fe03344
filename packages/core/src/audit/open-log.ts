import { stat, truncate, writeFile } from 'node:fs/promises';
import { auditEntrySchema, GENESIS_HASH, type AuditEntry } from './audit-entry.js';
import { checkpointPathOf, checkpointSignatureProblem, readCheckpoint, type AuditKeys } from './checkpoint.js';
import { readLastLines } from './read-last-lines.js';
import { walkChain } from './verify-chain.js';

export interface Head {
  readonly seq: number;
  readonly hash: string;
}

export function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * The head of the log at `path` (seq 0 and the genesis hash when there is no file). A torn last line
 * from a crash is cut off and kept in `<path>.torn-<time>`; a damaged complete entry stops here.
 */
export async function recoverHead(path: string, now: Date): Promise<{ head: Head; recovered?: { bytes: number; savedTo: string } }> {
  const size = await stat(path).then(
    (s) => s.size,
    () => undefined,
  );
  if (size === undefined || size === 0) return { head: { seq: 0, hash: GENESIS_HASH } };
  const { lines, tornTail } = await readLastLines(path, 1);
  let recovered: { bytes: number; savedTo: string } | undefined;
  if (tornTail !== '') {
    const savedTo = `${path}.torn-${stamp(now)}`;
    await writeFile(savedTo, tornTail, { mode: 0o600 });
    await truncate(path, size - Buffer.byteLength(tornTail));
    recovered = { bytes: Buffer.byteLength(tornTail), savedTo };
  }
  const lastLine = lines[0];
  if (lastLine === undefined) return { head: { seq: 0, hash: GENESIS_HASH }, ...(recovered === undefined ? {} : { recovered }) };
  let entry: AuditEntry;
  try {
    entry = auditEntrySchema.parse(JSON.parse(lastLine));
  } catch {
    throw new Error(`audit log ${path} ends in a damaged entry; run verify and move the file aside before starting`);
  }
  return { head: { seq: entry.seq, hash: entry.hash }, ...(recovered === undefined ? {} : { recovered }) };
}

const KEEP_EVIDENCE = 'keep the files as evidence (`agent-gateway audit verify` explains them) and move the log, its rotated files and its checkpoint aside to start a new one';

/**
 * Holds the head found on disk against the signed checkpoint, before anything is appended (which
 * would sign a new checkpoint over the damage). Throws when the log was cut or rewritten below the
 * checkpoint, or the checkpoint is not this log's key's. `'missing'` when there is no checkpoint.
 */
export async function checkHead(path: string, head: Head, keys: AuditKeys): Promise<'ok' | 'missing'> {
  const checkpointPath = checkpointPathOf(path);
  const read = await readCheckpoint(checkpointPath);
  if (read.kind === 'missing') return 'missing';
  if (read.kind === 'unreadable') throw new Error(`${checkpointPath}: ${read.reason}; ${KEEP_EVIDENCE}`);
  const checkpoint = read.checkpoint;
  const problem = checkpointSignatureProblem(checkpoint, keys.publicKey);
  if (problem !== undefined) throw new Error(`${checkpointPath}: ${problem}; ${KEEP_EVIDENCE}`);
  if (checkpoint.seq > head.seq) {
    throw new Error(`audit log ${path} ends at seq ${head.seq}, but its signed checkpoint says it reached seq ${checkpoint.seq}: entries were cut from its end; ${KEEP_EVIDENCE}`);
  }
  // Behind the file by the writes a crash kept from being checkpointed: the chain must pass through it.
  const hash = checkpoint.seq === head.seq ? head.hash : (await walkChain(path, { hashAtSeq: checkpoint.seq })).hashAt?.hash;
  if (hash !== undefined && hash !== checkpoint.hash) {
    throw new Error(`audit log ${path} was rewritten: its entry at seq ${checkpoint.seq} is not the one its signed checkpoint recorded; ${KEEP_EVIDENCE}`);
  }
  return 'ok';
}
