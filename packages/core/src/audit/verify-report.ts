/** A change to the log file that the log noticed and recorded as an entry, with what verify makes of it. */
export interface Incident {
  readonly file: string;
  readonly line: number;
  readonly seq: number;
  /** `audit_file_replaced`, `audit_file_modified` or `audit_checkpoint_missing`. */
  readonly event: string;
  /** What happened, in words. */
  readonly note: string;
  /** For a replaced file: the log's own copy of what it had written, and whether it verifies up to this entry. */
  readonly kept_copy?: { readonly file: string; readonly ok: boolean; readonly last_seq: number; readonly reaches_this_entry: boolean };
}

/** Where verification found the chain broken, and why. */
export interface BrokenEntry {
  readonly file: string;
  /** 1-based line number in that file (for a checkpoint problem: the line after the file's last). */
  readonly line: number;
  readonly seq?: number;
  readonly reason: string;
  /** The log's own record of the change to its file that explains this break, when there is one. */
  readonly explained_by?: Incident;
}

/** What the signed checkpoint said, and whether it holds. */
export interface CheckpointStatus {
  readonly file?: string;
  readonly seq: number;
  readonly hash: string;
  readonly ts: string;
  readonly key_id: string;
  readonly signature_valid: boolean;
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
  /** Changes to the file the log recorded while it had it open (replaced, appended to, cut short). */
  readonly incidents?: Incident[];
  /** The signed head the chain was checked against (`verifyAuditLog`, `log.verify()`, the CLI). */
  readonly checkpoint?: CheckpointStatus;
}
