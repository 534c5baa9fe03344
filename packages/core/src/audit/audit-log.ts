import { mkdir, open, rename, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { AuditUnavailableError } from '../errors/index.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger } from '../logging/logger.js';
import { auditEntrySchema, entryBody, GENESIS_HASH, hashBody, type AuditActor, type AuditEntry } from './audit-entry.js';
import { readLastLines } from './read-last-lines.js';
import { scrubSecrets } from './secret-scrubber.js';
import { verifyChain, type VerifyReport } from './verify-chain.js';

/** Somewhere else entries go once durable (a log shipper, a SIEM). Its failures never block the log. */
export interface AuditSink {
  write(entries: readonly AuditEntry[]): void | Promise<void>;
}

export interface AuditLogOptions {
  /** Extra redaction applied to every entry's details (e.g. the per-origin rules); secrets are always scrubbed. */
  readonly redact?: (details: Record<string, unknown>) => Record<string, unknown>;
  readonly logger?: Logger;
  readonly now?: () => Date;
  /**
   * `true` (default): entries that arrive while a write is in flight go out together in one write and
   * one fsync. `false`: one write and fsync per entry (only for measuring the difference).
   */
  readonly groupCommit?: boolean;
  readonly sinks?: readonly AuditSink[];
}

export interface TailFilter {
  readonly event?: string;
}

interface PendingEntry {
  readonly kind: 'entry';
  readonly entry: AuditEntry;
  readonly line: string;
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

async function writeFully(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/**
 * The tamper-evident audit log: JSON Lines, each entry hash-chained to the one before, appended with
 * group commit. `append()` resolves only when its entry is on disk (fsync); a crash can lose only
 * entries whose append had not resolved, and at most leaves a torn last line, which `open()` cuts off
 * (keeping the bytes beside the log) and `verify()` reports.
 */
export class AuditLog {
  readonly path: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #redact: ((details: Record<string, unknown>) => Record<string, unknown>) | undefined;
  readonly #groupCommit: boolean;
  readonly #sinks: AuditSink[];
  #file: FileHandle;
  #lastSeq: number;
  #lastHash: string;
  #durableSeq: number;
  #pending: Pending[] = [];
  #flushing: Promise<void> | undefined;
  #failure: unknown;
  #closed = false;
  #batches = 0;

  private constructor(path: string, file: FileHandle, last: { seq: number; hash: string }, options: AuditLogOptions) {
    this.path = path;
    this.#file = file;
    this.#lastSeq = last.seq;
    this.#lastHash = last.hash;
    this.#durableSeq = last.seq;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? (() => new Date());
    this.#redact = options.redact;
    this.#groupCommit = options.groupCommit ?? true;
    this.#sinks = [...(options.sinks ?? [])];
  }

  /**
   * Opens (or creates, mode 0600, folder 0700) the log and continues its chain. A torn last line
   * from a crash is cut off and kept in `<path>.torn-<time>`; a damaged complete entry stops here.
   */
  static async open(path: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let last = { seq: 0, hash: GENESIS_HASH };
    let recovered: { bytes: number; savedTo: string } | undefined;
    const size = await stat(path).then(
      (s) => s.size,
      () => undefined,
    );
    if (size !== undefined && size > 0) {
      const { lines, tornTail } = await readLastLines(path, 1);
      if (tornTail !== '') {
        const savedTo = `${path}.torn-${stamp((options.now ?? (() => new Date()))())}`;
        await writeFile(savedTo, tornTail, { mode: 0o600 });
        await truncate(path, size - Buffer.byteLength(tornTail));
        recovered = { bytes: Buffer.byteLength(tornTail), savedTo };
      }
      const lastLine = lines[0];
      if (lastLine !== undefined) {
        let entry: AuditEntry;
        try {
          entry = auditEntrySchema.parse(JSON.parse(lastLine));
        } catch {
          throw new Error(`audit log ${path} ends in a damaged entry; run verify and move the file aside before starting`);
        }
        last = { seq: entry.seq, hash: entry.hash };
      }
    }
    const file = await open(path, 'a', 0o600);
    const log = new AuditLog(path, file, last, options);
    if (recovered !== undefined) {
      log.#logger.warn('audit log ended in an incomplete entry from a crash; cut it off', { path, bytes: recovered.bytes, saved_to: recovered.savedTo });
      await log.append('audit_recovered', { type: 'system', name: 'audit' }, {
        discarded_bytes: recovered.bytes,
        saved_to: basename(recovered.savedTo),
      });
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

  addSink(sink: AuditSink): void {
    this.#sinks.push(sink);
  }

  /**
   * Adds an entry. Secrets in `details` are scrubbed first. Resolves once the entry is durable;
   * rejects with AuditUnavailableError if the log cannot write.
   */
  append(event: string, actor: AuditActor, details: Record<string, unknown> = {}): Promise<AuditEntry> {
    if (this.#closed) return Promise.reject(new AuditUnavailableError({ cause: new Error('audit log closed') }));
    if (this.#failure !== undefined) return Promise.reject(new AuditUnavailableError({ cause: this.#failure }));
    const scrubbed = scrubSecrets(this.#redact ? this.#redact(details) : details) as Record<string, unknown>;
    // Seq, prev and hash are fixed now, in call order, so the file's order is the order of append() calls.
    const partial = { seq: this.#lastSeq + 1, ts: this.#now().toISOString(), event, actor, details: scrubbed, prev: this.#lastHash };
    const body = entryBody(partial);
    const hash = hashBody(body);
    const entry: AuditEntry = { ...partial, hash };
    this.#lastSeq = entry.seq;
    this.#lastHash = hash;
    return new Promise<AuditEntry>((resolve, reject) => {
      this.#pending.push({ kind: 'entry', entry, line: `${body.slice(0, -1)},"hash":"${hash}"}\n`, resolve, reject });
      this.#flushing ??= this.#flush();
    });
  }

  /** Writes what is pending, batch after batch, until nothing is. One write and one fsync per batch. */
  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const head = this.#pending[0];
        if (head?.kind === 'rotation') {
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
        try {
          await writeFully(this.#file, Buffer.from(batch.map((p) => p.line).join(''), 'utf8'));
          await this.#file.datasync();
        } catch (error) {
          this.#fail(error, batch);
          return;
        }
        this.#batches += 1;
        const last = batch[batch.length - 1];
        if (last !== undefined) this.#durableSeq = last.entry.seq;
        for (const pending of batch) pending.resolve(pending.entry);
        this.#ship(batch.map((p) => p.entry));
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** The entries to write next: all up to the next rotation point (group commit), or just one. */
  #takeBatch(): PendingEntry[] {
    const limit = this.#groupCommit ? this.#pending.length : 1;
    const batch: PendingEntry[] = [];
    while (batch.length < limit) {
      const next = this.#pending[0];
      if (next === undefined || next.kind !== 'entry') break;
      batch.push(next);
      this.#pending.shift();
    }
    return batch;
  }

  async #switchFile(rotatedTo: string): Promise<void> {
    await this.#file.close();
    await rename(this.path, rotatedTo);
    this.#file = await open(this.path, 'a', 0o600);
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
   * Walks the chain (through rotated files still beside it) and reports the first broken entry.
   * Also catches entries cut from the end: the file must reach the last seq this log made durable.
   */
  async verify(): Promise<VerifyReport> {
    await this.#flushing;
    const report = await verifyChain(this.path);
    if (report.ok && report.last_seq < this.#durableSeq) {
      return {
        ...report,
        ok: false,
        first_broken: {
          file: this.path,
          line: report.entries + 1,
          seq: report.last_seq + 1,
          reason: `entries ${report.last_seq + 1}..${this.#durableSeq} were written and are missing (cut from the end)`,
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
    const previous = { previous_file: basename(rotatedTo), previous_last_seq: this.#lastSeq, previous_last_hash: this.#lastHash };
    const switched = new Promise<void>((resolve, reject) => {
      this.#pending.push({ kind: 'rotation', rotatedTo, resolve, reject });
    });
    const anchored = this.append('log_rotated', { type: 'system', name: 'audit' }, previous);
    await Promise.all([switched, anchored]);
    return { rotatedTo };
  }

  /** Writes what is pending, then closes the file. Later appends are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing !== undefined) await this.#flushing;
    this.#closed = true;
    await this.#file.close();
  }
}
