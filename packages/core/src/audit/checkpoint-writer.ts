import { open, rename } from 'node:fs/promises';
import type { Logger } from '../logging/logger.js';
import { signCheckpoint, type AuditCheckpoint, type AuditKeys, type CheckpointSink } from './checkpoint.js';

/**
 * Writes a temp file, syncs it and renames it over `path`: a reader sees the old checkpoint or the
 * new one, never a mix. Unlike `writeFileAtomic` the folder is not synced: after a power cut the
 * rename may be lost, which leaves the previous checkpoint, still true (the log only grows past it),
 * and saves an fsync per write. One write at a time per log, so one temp name will do.
 */
async function replaceFile(path: string, content: string): Promise<void> {
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(content, 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
}

/**
 * Keeps the signed checkpoint of the log's head up to date, beside the log and in the sinks.
 * `update()` never waits: one write runs at a time and, when it ends, the latest head is written
 * next (heads in between are skipped), so the log's own write and fsync cadence is not slowed and
 * the checkpoint trails the log by at most one write. It is only ever written after the entries it
 * names are durable, so it can never be ahead of the file: a file that ends before it was cut.
 */
export class CheckpointWriter {
  readonly path: string;
  readonly #keys: AuditKeys;
  readonly #now: () => Date;
  readonly #logger: Logger;
  readonly #sinks: CheckpointSink[];
  #wanted: { seq: number; hash: string } | undefined;
  #written = -1;
  #running: Promise<void> | undefined;
  #last: AuditCheckpoint | undefined;

  constructor(path: string, keys: AuditKeys, options: { now: () => Date; logger: Logger; sinks: readonly CheckpointSink[] }) {
    this.path = path;
    this.#keys = keys;
    this.#now = options.now;
    this.#logger = options.logger;
    this.#sinks = [...options.sinks];
  }

  /** The checkpoint last written beside the log. */
  get last(): AuditCheckpoint | undefined {
    return this.#last;
  }

  addSink(sink: CheckpointSink): void {
    this.#sinks.push(sink);
  }

  update(head: { seq: number; hash: string }): void {
    this.#wanted = head;
    // Only when there is something to write: a run that writes nothing ends (and clears #running)
    // before it could be stored, and a settled run kept in #running would block every later update
    // and make idle() spin forever.
    if (this.#running === undefined && head.seq !== this.#written) this.#running = this.#run();
  }

  /** Resolves once the latest head asked for is written (or its write failed and was logged). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #run(): Promise<void> {
    try {
      while (this.#wanted !== undefined && this.#wanted.seq !== this.#written) {
        const checkpoint = signCheckpoint(this.#keys, this.#wanted, this.#now());
        await replaceFile(this.path, `${JSON.stringify(checkpoint)}\n`);
        this.#written = checkpoint.seq;
        this.#last = checkpoint;
        this.#ship(checkpoint);
      }
    } catch (error) {
      // The log itself is intact; the next durable write tries again.
      this.#logger.error('could not write the audit checkpoint', { path: this.path, error });
    } finally {
      this.#running = undefined;
    }
  }

  #ship(checkpoint: AuditCheckpoint): void {
    for (const sink of this.#sinks) {
      Promise.resolve()
        .then(() => sink.write(checkpoint))
        .catch((error: unknown) => this.#logger.error('audit checkpoint sink failed', { error }));
    }
  }
}
