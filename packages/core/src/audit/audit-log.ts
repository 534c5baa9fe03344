import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { AuditUnavailableError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger } from '../logging/logger.js';
import { auditEntrySchema, entryBody, hashBody, type AuditActor, type AuditEntry } from './audit-entry.js';
import { CheckpointWriter } from './checkpoint-writer.js';
import type { AuditLogOptions, AuditSink, TailFilter } from './audit-log-options.js';
import { checkpointPathOf, loadAuditKeys, type AuditCheckpoint, type AuditKeys, type CheckpointSink } from './checkpoint.js';
import { inspectFile, repairFile } from './file-guard.js';
import { CHECKPOINT_MISSING } from './incidents.js';
import { checkHead, recoverHead, stamp, type Head } from './open-log.js';
import { readLastLines } from './read-last-lines.js';
import { scrubSecrets } from './secret-scrubber.js';
import { seqRange, verifyAuditLog } from './verify-audit-log.js';
import { endAppendSpan, markAppendSpans, startAppendSpan, type AppendSpan } from './append-span.js';
import { activeTraceId } from '../tracing/trace-context.js';
import type { VerifyReport } from './verify-report.js';

/** An entry waiting for its write. Its seq, prev and hash are fixed when its batch is taken, in queue order. */
interface PendingEntry {
  readonly kind: 'entry';
  readonly event: string;
  readonly actor: AuditActor;
  readonly ts: string;
  /** A function when the details describe the chain just before the entry (a rotation anchor). */
  readonly details: Record<string, unknown> | ((before: Head) => Record<string, unknown>);
  /** The trace the entry was asked for in (OpenTelemetry), written into it as `trace_id`. */
  readonly traceId?: string | undefined;
  /** The `audit append` span waiting for this entry to be durable, when tracing records one. */
  readonly span?: AppendSpan | undefined;
  resolve(entry: AuditEntry): void;
  reject(error: unknown): void;
}

/** A place in the queue where the file is switched: what is before goes to the old file, the rest to the new. */
interface PendingRotation {
  readonly kind: 'rotation';
  readonly rotatedTo: string;
  resolve(): void;
  reject(error: unknown): void;
}

type Pending = PendingEntry | PendingRotation;
/** An entry chained and ready: `line` is its text in the file, serialised once for its hash and its write. */
type Written = { pending: PendingEntry; entry: AuditEntry; line: string };

const AUDIT_ACTOR: AuditActor = { type: 'system', name: 'audit' };
const ignore = (): void => undefined;

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * The tamper-evident audit log: JSON Lines, each entry hash-chained to the one before, appended with
 * group commit. `append()` resolves only when its entry is on disk (fsync); a crash can lose only
 * entries whose append had not resolved, and at most leaves a torn last line, which `open()` cuts off
 * (keeping the bytes beside the log) and `verify()` reports. A signed checkpoint of the head
 * (`<path>.checkpoint.json`) makes entries cut from the end detectable, and a file replaced or
 * changed under the log is noticed before each write and after it, adopted and recorded.
 */
export class AuditLog {
  readonly path: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #redact: ((details: Record<string, unknown>) => Record<string, unknown>) | undefined;
  readonly #groupCommit: boolean;
  readonly #sinks: AuditSink[];
  readonly #keys: AuditKeys;
  readonly #checkpoints: CheckpointWriter;
  #file: FileHandle;
  /** The size the log's own writes gave the file: anything else changed it. */
  #size: number;
  #head: Head;
  #durableSeq: number;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failure: unknown;
  #closed = false;
  #batches = 0;

  private constructor(path: string, file: FileHandle, size: number, head: Head, keys: AuditKeys, options: AuditLogOptions) {
    this.path = path;
    this.#file = file;
    this.#size = size;
    this.#head = head;
    this.#durableSeq = head.seq;
    this.#keys = keys;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? (() => new Date());
    this.#redact = options.redact;
    this.#groupCommit = options.groupCommit ?? true;
    this.#sinks = [...(options.sinks ?? [])];
    this.#checkpoints = new CheckpointWriter(checkpointPathOf(path), keys, { now: this.#now, logger: this.#logger, sinks: options.checkpointSinks ?? [] });
  }

  /**
   * Opens (or creates, mode 0600, folder 0700) the log and continues its chain. A torn last line
   * from a crash is cut off and kept in `<path>.torn-<time>`; a damaged complete entry, or a file
   * that ends before its signed checkpoint (entries cut from the end) or differs from it, stops here.
   */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const logger = options.logger ?? silentLogger;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const { keys, knownBefore } = await loadAuditKeys(path, options.signingKey);
    const { head, recovered } = await recoverHead(path, (options.now ?? (() => new Date()))());
    const checkpoint = await checkHead(path, head, keys);
    const file = await open(path, 'a+', 0o600);
    let log: AuditLog;
    try {
      log = new AuditLog(path, file, (await file.stat()).size, head, keys, options);
    } catch (error) {
      await file.close();
      throw error;
    }
    try {
      if (recovered !== undefined) {
        logger.warn('audit log ended in an incomplete entry from a crash; cut it off', { path, bytes: recovered.bytes, saved_to: recovered.savedTo });
        await log.append('audit_recovered', AUDIT_ACTOR, { discarded_bytes: recovered.bytes, saved_to: basename(recovered.savedTo) });
      }
      // No checkpoint for a log that has entries, or whose key was already here: it was deleted, or predates checkpoints.
      if (checkpoint === 'missing' && (head.seq > 0 || knownBefore)) {
        logger.warn('audit log has no signed checkpoint; starting one', { path, seq: head.seq });
        await log.append(CHECKPOINT_MISSING, AUDIT_ACTOR, { found_seq: head.seq, found_hash: head.hash });
      }
      log.#checkpoints.update(log.#head);
    } catch (error) {
      await log.close().catch(ignore);
      throw error;
    }
    return log;
  }

  /** The seq of the last entry known to be on disk. */
  get durableSeq(): number {
    return this.#durableSeq;
  }

  /** How many write + fsync rounds this log has made (group commit makes it far fewer than entries). */
  get batches(): number {
    return this.#batches;
  }

  /** Set when a write failed: the log refuses further entries until reopened. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Where the signed checkpoint of the head is kept. */
  get checkpointPath(): string {
    return this.#checkpoints.path;
  }

  /** The checkpoint last written beside the log (and sent to the checkpoint sinks). */
  get lastCheckpoint(): AuditCheckpoint | undefined {
    return this.#checkpoints.last;
  }

  /** The key checkpoints verify with (SPKI PEM): keep a copy away from the log for `agent-gateway audit verify --key`. */
  publicKey(): string {
    return this.#keys.publicKeyPem;
  }

  /** Adds a copy elsewhere for the entries written from now on. */
  addSink(sink: AuditSink): void {
    this.#sinks.push(sink);
  }

  /** Adds a copy elsewhere for the checkpoints signed from now on. */
  addCheckpointSink(sink: CheckpointSink): void {
    this.#checkpoints.addSink(sink);
  }

  /**
   * Adds an entry. Secrets in `details` are scrubbed first. Resolves once the entry is durable;
   * rejects with AuditUnavailableError if the log cannot write. Entries are written in call order.
   */
  append(event: string, actor: AuditActor, details: Record<string, unknown> = {}): Promise<AuditEntry> {
    if (this.#closed) return Promise.reject(new AuditUnavailableError({ cause: new Error('audit log closed') }));
    if (this.#failure !== undefined) return Promise.reject(new AuditUnavailableError({ cause: this.#failure }));
    const scrubbed = scrubSecrets(this.#redact ? this.#redact(details) : details) as Record<string, unknown>;
    const span = startAppendSpan(event);
    const appended = this.#enqueue(event, actor, scrubbed, activeTraceId(), span);
    return span === undefined ? appended : endAppendSpan(span, appended);
  }

  #enqueue(event: string, actor: AuditActor, details: PendingEntry['details'], traceId?: string, span?: AppendSpan): Promise<AuditEntry> {
    return new Promise<AuditEntry>((resolve, reject) => {
      this.#pending.push({ kind: 'entry', event, actor, ts: this.#now().toISOString(), details, traceId, span, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /**
   * Writes what is pending, batch after batch, until nothing is. One write and one fsync per batch,
   * with the file checked before (so entries go to the file at the path) and after (so a file
   * replaced during the write is caught before its entries are acknowledged).
   */
  async #flush(): Promise<void> {
    try {
      let checked = false;
      for (;;) {
        if (!checked && !(await this.#guardFile())) return;
        checked = false;
        const head = this.#pending[0];
        if (head === undefined) return;
        if (head.kind === 'rotation') {
          this.#pending.shift();
          try {
            await this.#switchFile(head.rotatedTo);
          } catch (error) {
            this.#fail(error, [head]);
            return;
          }
          head.resolve();
          continue;
        }
        const batch = this.#takeBatch();
        let text = '';
        for (const written of batch) text += written.line;
        const data = Buffer.from(text);
        try {
          let offset = 0;
          while (offset < data.length) offset += (await this.#file.write(data, offset, data.length - offset)).bytesWritten;
          markAppendSpans(batch, 'audit.fsync_started');
          await this.#file.datasync();
        } catch (error) {
          this.#fail(error, batch.map((w) => w.pending));
          return;
        }
        this.#size += data.length;
        if (!(await this.#guardFile(batch.map((w) => w.pending)))) return;
        checked = true;
        this.#batches += 1;
        // The head is the batch's last entry: only #takeBatch chains entries, and only this loop calls it.
        this.#durableSeq = this.#head.seq;
        for (const { pending, entry } of batch) pending.resolve(entry);
        this.#ship(batch.map((w) => w.entry));
        this.#checkpoints.update(this.#head);
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** The entries to write next: all up to the next rotation point (group commit), or just one, chained now. */
  #takeBatch(): Written[] {
    const limit = this.#groupCommit ? this.#pending.length : 1;
    const batch: Written[] = [];
    while (batch.length < limit) {
      const next = this.#pending[0];
      if (next === undefined || next.kind !== 'entry') break;
      this.#pending.shift();
      const details = typeof next.details === 'function' ? next.details(this.#head) : next.details;
      const partial = { seq: this.#head.seq + 1, ts: next.ts, event: next.event, actor: next.actor, details, prev: this.#head.hash, ...(next.traceId === undefined ? {} : { trace_id: next.traceId }) };
      const body = entryBody(partial);
      const entry: AuditEntry = { ...partial, hash: hashBody(body) };
      this.#head = { seq: entry.seq, hash: entry.hash };
      batch.push({ pending: next, entry, line: `${body.slice(0, -1)},"hash":"${entry.hash}"}\n` });
    }
    return batch;
  }

  /**
   * Checks that the file at the path is still the one being written, the size the log left it. If not,
   * repairs it (see `repairFile`) and puts the entry recording that first in the queue. False when
   * that failed: the log has then failed, and `inFlight` with it.
   */
  async #guardFile(inFlight: readonly PendingEntry[] = []): Promise<boolean> {
    try {
      const change = await inspectFile(this.path, this.#file, this.#size);
      if (change.kind === 'same') return true;
      const repair = await repairFile(this.path, this.#file, this.#size, change, stamp(this.#now()));
      this.#file = repair.file;
      this.#size = repair.size;
      this.#logger.error('the audit file was changed by something else; recorded it and carried on', { path: this.path, event: repair.event, ...repair.details });
      this.#pending.unshift({ kind: 'entry', event: repair.event, actor: AUDIT_ACTOR, ts: this.#now().toISOString(), details: repair.details, resolve: ignore, reject: ignore });
      return true;
    } catch (error) {
      this.#fail(error, inFlight);
      return false;
    }
  }

  async #switchFile(rotatedTo: string): Promise<void> {
    await this.#file.close();
    await rename(this.path, rotatedTo);
    this.#file = await open(this.path, 'a+', 0o600);
    this.#size = (await this.#file.stat()).size;
    await syncDirectory(this.path);
  }

  #fail(error: unknown, batch: readonly Pending[]): void {
    this.#failure = error;
    this.#logger.error('audit log write failed; refusing further entries', { path: this.path, error });
    const refused = new AuditUnavailableError({ cause: error });
    for (const pending of [...batch, ...this.#pending.splice(0)]) pending.reject(refused);
  }

  #ship(entries: readonly AuditEntry[]): void {
    for (const sink of this.#sinks) {
      Promise.resolve()
        .then(() => sink.write(entries))
        .catch((error: unknown) => this.#logger.error('audit sink failed', { error }));
    }
  }

  /** The last `n` durable entries of the current file (optionally of one event), oldest first. */
  async tail(n: number, filter: TailFilter = {}): Promise<AuditEntry[]> {
    const wanted = filter.event;
    const accept = wanted === undefined ? undefined : (line: string) => line.includes(`"event":${JSON.stringify(wanted)}`);
    let lines: string[];
    try {
      ({ lines } = await readLastLines(this.path, n, accept));
    } catch (error) {
      // Between a rotation's rename and the new file's creation there is briefly no file.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: AuditEntry[] = [];
    for (const line of lines) {
      try {
        const entry = auditEntrySchema.parse(JSON.parse(line));
        if (wanted === undefined || entry.event === wanted) entries.push(entry);
      } catch {
        this.#logger.warn('skipped a damaged audit line while reading the tail', { path: this.path });
      }
    }
    return entries;
  }

  /**
   * Walks the chain (through rotated files still beside it), holds it against the signed checkpoint
   * and reports the first problem, explained by the log's own records of changes to its file. Also
   * catches entries cut from the end since the last checkpoint: the file must reach the last seq
   * this log made durable. Reads only: a replaced file is adopted by the next write.
   */
  async verify(): Promise<VerifyReport> {
    await this.#flushing;
    await this.#checkpoints.idle();
    // Taken before the walk: entries made durable while it runs must not count as missing.
    const durable = this.#durableSeq;
    const report = await verifyAuditLog(this.path, { publicKey: this.#keys.publicKey, checkpoint: this.#checkpoints.path });
    if (report.ok && report.last_seq < durable) {
      return {
        ...report,
        ok: false,
        first_broken: {
          file: this.path,
          line: report.entries + 1,
          seq: report.last_seq + 1,
          reason: `${seqRange(report.last_seq + 1, durable)} missing: written by this log, then cut from the end`,
        },
      };
    }
    return report;
  }

  /**
   * Moves the current file aside (`<path>.<time>`) and starts a new one whose first entry,
   * `log_rotated`, anchors to the old file's last hash: the chain verifies across both files.
   * Entries appended meanwhile land on the right side of the switch, in order.
   */
  async rotate(): Promise<{ rotatedTo: string }> {
    if (this.#failure !== undefined || this.#closed) throw new AuditUnavailableError({ cause: this.#failure });
    const rotatedTo = `${this.path}.${stamp(this.#now())}`;
    const switched = new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind: 'rotation', rotatedTo, resolve, reject });
    });
    const anchored = this.#enqueue('log_rotated', AUDIT_ACTOR, (before) => ({
      previous_file: basename(rotatedTo),
      previous_last_seq: before.seq,
      previous_last_hash: before.hash,
    }));
    await Promise.all([switched, anchored]);
    return { rotatedTo };
  }

  /** Writes what is pending and its checkpoint, then closes the file. Later appends are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
    await this.#checkpoints.idle();
    await this.#file.close();
  }
}
