import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { FILE_MODIFIED, FILE_REPLACED } from './incidents.js';

const CHUNK_BYTES = 64 * 1024;

/** What happened to the log file since the log last wrote to it. */
export type FileChange =
  | { readonly kind: 'same' }
  /** The path names another file now, or none (`sed -i`, an editor, `rm`, `mv`): appends would go to a file nobody sees. */
  | { readonly kind: 'replaced'; readonly oldInode: number; readonly newInode: number | undefined }
  /** The same file, longer than the log made it: something else wrote to it. */
  | { readonly kind: 'appended'; readonly size: number }
  /** The same file, shorter than the log made it (`truncate`, `> audit.log`): entries were cut. */
  | { readonly kind: 'truncated'; readonly size: number };

/**
 * Compares the file at `path` with the one the log holds open (stat against fstat) and its size with
 * the size the log's own writes gave it. Two system calls: cheap next to the fsync of every write.
 */
export async function inspectFile(path: string, file: FileHandle, expectedSize: number): Promise<FileChange> {
  const [onDisk, held] = await Promise.all([
    stat(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }),
    file.stat(),
  ]);
  if (onDisk === undefined || onDisk.ino !== held.ino || onDisk.dev !== held.dev) {
    return { kind: 'replaced', oldInode: held.ino, newInode: onDisk?.ino };
  }
  if (held.size > expectedSize) return { kind: 'appended', size: held.size };
  if (held.size < expectedSize) return { kind: 'truncated', size: held.size };
  return { kind: 'same' };
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** Copies bytes `start..end` of `from` to the end of `to` (opened for appending) or its current position. */
async function copyRange(from: FileHandle, to: FileHandle, start: number, end: number): Promise<void> {
  for (let position = start; position < end; position += CHUNK_BYTES) {
    const chunk = await readAt(from, position, Math.min(CHUNK_BYTES, end - position));
    let offset = 0;
    while (offset < chunk.length) offset += (await to.write(chunk, offset, chunk.length - offset)).bytesWritten;
  }
}

/** Where the two files first differ (within the shorter), and on which line of `a` that is. */
async function firstDifference(a: FileHandle, b: FileHandle, length: number): Promise<{ offset: number; line: number } | undefined> {
  let line = 1;
  for (let position = 0; position < length; position += CHUNK_BYTES) {
    const size = Math.min(CHUNK_BYTES, length - position);
    const [left, right] = await Promise.all([readAt(a, position, size), readAt(b, position, size)]);
    for (let i = 0; i < size; i += 1) {
      if (left[i] !== right[i]) return { offset: position + i, line };
      if (left[i] === 0x0a) line += 1;
    }
  }
  return undefined;
}

async function countLines(file: FileHandle, start: number, end: number): Promise<number> {
  let lines = 0;
  for (let position = start; position < end; position += CHUNK_BYTES) {
    for (const byte of await readAt(file, position, Math.min(CHUNK_BYTES, end - position))) if (byte === 0x0a) lines += 1;
  }
  return lines;
}

export interface Adopted {
  /** The file now at the path, open for appending (and reading). */
  readonly file: FileHandle;
  readonly size: number;
  /** What the `audit_file_replaced` entry records. */
  readonly details: Record<string, unknown>;
}

/**
 * After the file was replaced under the log: keeps a durable copy of everything the log wrote (read
 * through the handle it still holds, so it works when the old file was deleted) in `keepAs`, opens
 * the file now at the path, and compares the two. When the new file holds the start of the log's
 * own (an identical copy, a copy taken a moment before the last write, or nothing at all), the
 * missing end is written back, so every acknowledged entry is in the file at the path again. When
 * it differs, it is left as found (verify will point at the difference) and the copy is the record.
 */
export async function adoptReplacement(path: string, old: FileHandle, keepAs: string, change: Extract<FileChange, { kind: 'replaced' }>): Promise<Adopted> {
  const oldSize = (await old.stat()).size;
  const kept = await open(keepAs, 'wx', 0o600);
  try {
    await copyRange(old, kept, 0, oldSize);
    await kept.sync();
  } finally {
    await kept.close();
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const file = await open(path, 'a+', 0o600);
  try {
    const found = await file.stat();
    const base = { previous_file: basename(keepAs), previous_inode: change.oldInode, new_inode: found.ino, previous_bytes: oldSize, found_bytes: found.size };
    const difference = await firstDifference(old, file, Math.min(oldSize, found.size));
    if (difference !== undefined || found.size > oldSize) {
      const line = difference?.line ?? (await countLines(old, 0, oldSize)) + 1;
      return { file, size: found.size, details: { ...base, found: 'different', first_difference_line: line } };
    }
    // The new file is the start of the log's own, byte for byte (a torn last line included): what
    // follows it in the log's own completes it, so the file at the path holds every entry again.
    await copyRange(old, file, found.size, oldSize);
    await file.sync();
    const restored = await countLines(old, found.size, oldSize);
    const kind = change.newInode === undefined ? 'missing' : found.size === oldSize ? 'identical' : 'prefix';
    return { file, size: oldSize, details: { ...base, found: kind, restored_entries: restored } };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** What the log does about a change to its file: the handle and size it continues with, and the entry it records. */
export interface Repair {
  readonly file: FileHandle;
  readonly size: number;
  readonly event: typeof FILE_REPLACED | typeof FILE_MODIFIED;
  readonly details: Record<string, unknown>;
}

/**
 * Brings the log back to writing where everyone looks: a replaced file is adopted (above; the old
 * handle is closed once its content is safe), bytes something else appended are cut off and kept in
 * `<path>.foreign-<time>`, and a file cut short is only recorded (what was cut is not recoverable here).
 */
export async function repairFile(path: string, file: FileHandle, expectedSize: number, change: Exclude<FileChange, { kind: 'same' }>, suffix: string): Promise<Repair> {
  if (change.kind === 'replaced') {
    const adopted = await adoptReplacement(path, file, `${path}.replaced-${suffix}`, change);
    await file.close();
    return { file: adopted.file, size: adopted.size, event: FILE_REPLACED, details: adopted.details };
  }
  if (change.kind === 'appended') {
    const savedTo = `${path}.foreign-${suffix}`;
    const saved = await open(savedTo, 'wx', 0o600);
    try {
      await copyRange(file, saved, expectedSize, change.size);
      await saved.sync();
    } finally {
      await saved.close();
    }
    await file.truncate(expectedSize);
    await file.sync();
    return { file, size: expectedSize, event: FILE_MODIFIED, details: { change: 'appended', bytes: change.size - expectedSize, saved_to: basename(savedTo) } };
  }
  return { file, size: change.size, event: FILE_MODIFIED, details: { change: 'truncated', expected_bytes: expectedSize, found_bytes: change.size } };
}
