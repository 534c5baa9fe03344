import type { KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parsePublicKey, publicKeyPathOf } from './checkpoint.js';
import { verifyAuditLog } from './verify-audit-log.js';
import type { Incident, VerifyReport } from './verify-report.js';

export const USAGE = `usage: agent-gateway audit verify <log file>... [--key <public key PEM>] [--checkpoint <file>] [--json]

Verifies each audit log offline: the hash chain (through the rotated files beside it) and its signed
checkpoint (<log>.checkpoint.json), which catches entries cut from the end.
  --key         the log's public key (log.publicKey()); default <log>.pub.pem beside the log.
                Keep a copy elsewhere: one beside the log can be replaced along with the log.
  --checkpoint  a checkpoint kept elsewhere (from a CheckpointSink) instead of the one beside the log
  --json        one JSON document on stdout
Exit status: 0 every log is intact, 1 a log was tampered with (the reason is printed), 2 usage error.`;

/** Where the command writes; tests pass their own. */
export interface AuditCommandIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
}

class UsageError extends Error {}

interface Outcome {
  readonly file: string;
  readonly key: { readonly source: string; readonly pinned: boolean };
  readonly report: VerifyReport;
}

async function keyFor(file: string, keyPath: string | undefined): Promise<{ key: KeyObject; source: string; pinned: boolean }> {
  const path = keyPath ?? publicKeyPathOf(file);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(keyPath === undefined ? `no --key given and no public key beside ${file} (${path}: ${code})` : `cannot read the key ${path}: ${code}`);
  }
  try {
    return { key: parsePublicKey(pem), source: path, pinned: keyPath !== undefined };
  } catch {
    throw new UsageError(`${path} is not an Ed25519 public key in PEM`);
  }
}

const where = (file: string): string => relative(process.cwd(), file) || file;

function describeIncident(incident: Incident): string {
  const kept = incident.kept_copy;
  const copy = kept === undefined ? '' : ` [kept copy ${where(kept.file)}: ${kept.ok && kept.reaches_this_entry ? `intact to seq ${kept.last_seq}` : 'does not verify up to this entry'}]`;
  return `${where(incident.file)} line ${incident.line} (seq ${incident.seq}, ${incident.event}): ${incident.note}${copy}`;
}

function describe({ file, key, report }: Outcome): string {
  const lines: string[] = [];
  const broken = report.first_broken;
  if (broken === undefined) {
    const checkpoint = report.checkpoint;
    lines.push(
      `OK ${where(file)}: ${report.entries} entries up to seq ${report.last_seq} in ${report.files.length} file(s); ` +
        (checkpoint === undefined ? 'no checkpoint' : `reaches its checkpoint (seq ${checkpoint.seq}, signed ${checkpoint.ts} by key ${checkpoint.key_id})`),
    );
  } else {
    lines.push(`TAMPERED ${where(file)}: ${where(broken.file)} line ${broken.line}${broken.seq === undefined ? '' : ` (seq ${broken.seq})`}: ${broken.reason}`);
    if (broken.explained_by !== undefined) lines.push(`  explained by ${describeIncident(broken.explained_by)}`);
  }
  for (const incident of report.incidents ?? []) if (incident !== broken?.explained_by) lines.push(`  recorded: ${describeIncident(incident)}`);
  if (report.torn_tail !== undefined) lines.push(`  note: ends in an incomplete entry from a crash (line ${report.torn_tail.line}, ${report.torn_tail.bytes} bytes)`);
  if (report.anchored_to !== undefined) lines.push(`  note: continues ${report.anchored_to.file}, which is no longer beside it (archived)`);
  if (!key.pinned) lines.push(`  note: checked with the key beside the log (${where(key.source)}); pass --key with a copy kept elsewhere`);
  return `${lines.join('\n')}\n`;
}

/**
 * `agent-gateway audit verify ...` given its arguments (`['audit', 'verify', 'audit.log', '--key', ...]`):
 * the exit status. The `agent-gateway` command of `@agent-gateway/server` runs it; it lives here,
 * beside the verifier, so the command and `verifyAuditLog` cannot drift apart. Files that cannot be
 * read reject; the caller reports them.
 */
export async function runAuditCommand(args: readonly string[], io: AuditCommandIo): Promise<number> {
  try {
    const [group, action, ...rest] = args;
    if (group === '--help' || group === '-h') {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (group !== 'audit' || action !== 'verify') throw new UsageError(group === undefined ? 'no command given' : `unknown command: ${[group, action].filter(Boolean).join(' ')}`);
    let parsed: ReturnType<typeof parseOptions>;
    try {
      parsed = parseOptions(rest);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    const { values, positionals: files } = parsed;
    if (values.help === true) {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (files.length === 0) throw new UsageError('no log file given');
    if (values.checkpoint !== undefined && files.length > 1) throw new UsageError('--checkpoint goes with exactly one log file');
    const outcomes: Outcome[] = [];
    for (const file of files) {
      const isFile = await stat(file).then((s) => s.isFile(), () => false);
      if (!isFile) throw new UsageError(`${file} is not a file`);
      const { key, source, pinned } = await keyFor(file, values.key);
      const report = await verifyAuditLog(file, { publicKey: key, ...(values.checkpoint === undefined ? {} : { checkpoint: values.checkpoint }) });
      outcomes.push({ file, key: { source, pinned }, report });
    }
    const ok = outcomes.every((o) => o.report.ok);
    if (values.json === true) {
      io.out(`${JSON.stringify({ ok, results: outcomes.map((o) => ({ file: o.file, key: o.key, ...o.report })) }, null, 2)}\n`);
    } else {
      for (const outcome of outcomes) io.out(describe(outcome));
    }
    return ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`agent-gateway: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { key: { type: 'string' }, checkpoint: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
}
