import type { KeyObject } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import type { AuditEntry } from './audit-entry.js';
import type { CheckpointSink } from './checkpoint.js';

/** Somewhere else entries go once durable (a log shipper, a SIEM). Its failures never block the log. */
export interface AuditSink {
  /** Receives entries once they are durable, in order. */
  write(entries: readonly AuditEntry[]): void | Promise<void>;
}

/** Options of `AuditLog.open(path, options)`. */
export interface AuditLogOptions {
  /** Extra redaction applied to every entry's details (e.g. the per-origin rules); secrets are always scrubbed. */
  readonly redact?: (details: Record<string, unknown>) => Record<string, unknown>;
  readonly logger?: Logger;
  /** The clock for entry times (tests pass a fake one). */
  readonly now?: () => Date;
  /**
   * `true` (default): entries that arrive while a write is in flight go out together in one write and
   * one fsync. `false`: one write and fsync per entry (only for measuring the difference).
   */
  readonly groupCommit?: boolean;
  readonly sinks?: readonly AuditSink[];
  /**
   * The Ed25519 private key (KeyObject or PKCS#8 PEM) that signs the checkpoints. Default: the one
   * kept beside the log in `<path>.key.pem` (mode 0600), generated on first open.
   */
  readonly signingKey?: KeyObject | string;
  /** Where each signed checkpoint also goes (another host, a bucket), beside `<path>.checkpoint.json`. */
  readonly checkpointSinks?: readonly CheckpointSink[];
}

/** Which entries `tail` returns. */
export interface TailFilter {
  /** Only entries of this event (`tool_call`, `login`, ...). */
  readonly event?: string;
}
