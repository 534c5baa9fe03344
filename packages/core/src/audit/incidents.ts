import type { AuditEntry } from './audit-entry.js';
import type { Incident } from './verify-report.js';

/** Entries the log writes about its own file. */
export const FILE_REPLACED = 'audit_file_replaced';
export const FILE_MODIFIED = 'audit_file_modified';
export const CHECKPOINT_MISSING = 'audit_checkpoint_missing';
const INCIDENT_EVENTS: ReadonlySet<string> = new Set([FILE_REPLACED, FILE_MODIFIED, CHECKPOINT_MISSING]);

export function isIncident(entry: AuditEntry): boolean {
  return INCIDENT_EVENTS.has(entry.event);
}

/** Cheap pre-filter for lines after a break, which are scanned for incidents without being verified. */
export function mayBeIncident(line: string): boolean {
  return line.includes('"event":"audit_file_') || line.includes(`"event":"${CHECKPOINT_MISSING}"`);
}

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '?');

function replacedNote(d: Record<string, unknown>, seq: number): string {
  const inodes = `inode ${text(d.previous_inode)} -> ${text(d.new_inode)}`;
  const kept = `the gateway's own copy (to seq ${seq - 1}) is kept in ${text(d.previous_file)}`;
  switch (d.found) {
    case 'missing':
      return `the file was deleted while the gateway had it open; its ${text(d.restored_entries)} entries were written back into a new file, and ${kept}`;
    case 'identical':
      return `the file was replaced while the gateway had it open (${inodes}) by an identical copy; ${kept}`;
    case 'prefix':
      return `the file was replaced while the gateway had it open (${inodes}) by a copy missing the last ${text(d.restored_entries)} entries, which were written back; ${kept}`;
    default:
      return `the file was replaced while the gateway had it open (${inodes}) by one that differs from the gateway's own from line ${text(d.first_difference_line)}: the lines before this entry are not all the gateway's; ${kept}`;
  }
}

/** The incident an entry records, in words an operator can act on. */
export function incidentOf(entry: AuditEntry, file: string, line: number): Incident {
  const d = entry.details;
  let note: string;
  if (entry.event === FILE_REPLACED) note = replacedNote(d, entry.seq);
  else if (entry.event === FILE_MODIFIED && d.change === 'appended') {
    note = `${text(d.bytes)} bytes were appended to the file by something other than the gateway; they were cut off and kept in ${text(d.saved_to)}`;
  } else if (entry.event === FILE_MODIFIED) {
    note = `the file was cut short while the gateway had it open (${text(d.expected_bytes)} -> ${text(d.found_bytes)} bytes): the entries in the cut part are gone from this file (look in the sinks)`;
  } else {
    note = `no signed checkpoint was found when the log was opened at seq ${text(d.found_seq)}: entries cut from its end before then cannot be ruled out`;
  }
  return { file, line, seq: entry.seq, event: entry.event, note };
}
