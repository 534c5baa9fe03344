import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { sep } from 'node:path';
import { ToolError } from '@agent-gateway/core';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = constants;
/** Opens a directory, never through a symlink at the last step (ELOOP instead). */
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** Creates a new file only: O_EXCL never follows or reuses what is there; O_NONBLOCK so a FIFO cannot hang us. */
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;

const outside = (message: string) => new ToolError(message, { code: 'path_outside_scratch' });
const throughSymlink = (segment: string) =>
  new ToolError(`path goes through a symlink (${JSON.stringify(segment)}); symlinks are refused`, { code: 'path_has_symlink' });

/**
 * Node 20 has no openat(), but on Linux `/proc/self/fd/<fd>/<name>` resolves `<name>` in the directory
 * the descriptor holds, whatever has happened to its path since: the same "relative to a handle"
 * semantics. Every step below names a single entry under a handle we already checked.
 */
const at = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

/** Where a descriptor really is now (the kernel's answer, not a path we built). */
const whereIs = (handle: FileHandle) => readlink(`/proc/self/fd/${handle.fd}`);

function isBeneath(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}

/** A directory handle is only used once the kernel confirms it is still inside the root. */
async function assertBeneath(realRoot: string, handle: FileHandle): Promise<void> {
  if (!isBeneath(realRoot, await whereIs(handle))) throw outside('path leads outside the scratch directory');
}

/** Opens (creating if missing) one directory entry under `parent`, refusing a symlink or a non-directory. */
async function openChildDir(realRoot: string, parent: FileHandle, segment: string): Promise<FileHandle> {
  const path = at(parent, segment);
  // mkdir never follows a symlink at its last component (EEXIST instead), so nothing is created elsewhere.
  await mkdir(path, { mode: 0o700 }).catch((error: unknown) => {
    if (errnoOf(error) !== 'EEXIST') throw error;
  });
  let child: FileHandle;
  try {
    // O_NOFOLLOW: if the entry was swapped for a symlink after mkdir, this fails instead of following it.
    child = await open(path, DIR_FLAGS);
  } catch (error) {
    if (errnoOf(error) !== 'ELOOP' && errnoOf(error) !== 'ENOTDIR') throw error;
    // Linux reports a symlink opened with O_DIRECTORY|O_NOFOLLOW as ENOTDIR; look again only to word the error.
    if (errnoOf(error) === 'ELOOP' || (await lstatOrNull(path))?.isSymbolicLink()) throw throughSymlink(segment);
    throw new ToolError(`${JSON.stringify(segment)} is not a directory`, { code: 'path_not_directory' });
  }
  try {
    await assertBeneath(realRoot, child);
    return child;
  } catch (error) {
    await child.close();
    throw error;
  }
}

/** Opens the root and proves `/proc/self/fd` works here; without it there is no safe way, so we refuse. */
async function openRoot(root: string): Promise<{ realRoot: string; handle: FileHandle }> {
  // The root is the operator's own setting, so creating it (and following symlinks in it) is fine.
  await mkdir(root, { recursive: true, mode: 0o700 });
  const realRoot = await realpath(root);
  const handle = await open(realRoot, DIR_FLAGS);
  const seen = await whereIs(handle).catch(() => null);
  if (seen !== realRoot) {
    await handle.close();
    throw new ToolError('safe writes need /proc/self/fd (Linux); refusing to write', { code: 'unsafe_platform', status: 503 });
  }
  return { realRoot, handle };
}

/** Refuses to replace anything but a regular file: a symlink, a directory, a FIFO or a device. */
async function assertReplaceable(dir: FileHandle, name: string): Promise<void> {
  const existing = await lstatOrNull(at(dir, name));
  if (existing === null || existing.isFile()) return;
  if (existing.isSymbolicLink()) throw throughSymlink(name);
  if (existing.isDirectory()) throw new ToolError('path is a directory', { code: 'path_is_directory' });
  throw new ToolError('path is not a regular file', { code: 'path_not_regular_file' });
}

/**
 * Writes `content` to `segments` (already checked: no `..`, `.`, empty or overlong names) under `root`,
 * atomically, creating missing folders, without ever following a symlink or writing outside the root.
 *
 * A directory we hold can still be renamed out of the root by someone who can write both places, who could
 * write there directly anyway; we re-check after the rename and take the file back if that happened.
 */
export async function writeFileBeneath(root: string, segments: readonly string[], content: string): Promise<void> {
  const name = segments[segments.length - 1];
  if (name === undefined) throw new ToolError('path names no file', { code: 'invalid_path' });
  const { realRoot, handle: rootHandle } = await openRoot(root);
  let dir = rootHandle;
  try {
    for (const segment of segments.slice(0, -1)) {
      const child = await openChildDir(realRoot, dir, segment);
      await dir.close();
      dir = child;
    }
    await assertReplaceable(dir, name);
    await writeAndRename(realRoot, dir, name, content);
  } catch (error) {
    throw explained(error);
  } finally {
    await dir.close();
  }
}

/** The errors a caller can cause or fix get a clear code; anything else stays a (logged, unsent) tool failure. */
function explained(error: unknown): unknown {
  switch (errnoOf(error)) {
    case 'ENOENT':
      return new ToolError('a folder on the path changed during the write; try again', { code: 'path_changed', status: 409 });
    case 'ENOSPC':
    case 'EDQUOT':
      return new ToolError('the scratch directory is full', { code: 'scratch_full', status: 507 });
    case 'ENAMETOOLONG':
      return new ToolError('path is too long', { code: 'invalid_path' });
    default:
      return error;
  }
}

/** Temp file + fsync + rename in the held directory: readers never see half a file, and rename replaces an entry, never writes through it. */
async function writeAndRename(realRoot: string, dir: FileHandle, name: string, content: string): Promise<void> {
  const temp = `.${randomBytes(8).toString('hex')}.tmp`;
  const file = await open(at(dir, temp), TEMP_FLAGS, 0o600);
  let placed = false;
  try {
    const made = await file.stat();
    // Check where the new (still empty) file really is before any content goes into it.
    if (!made.isFile() || !isBeneath(realRoot, await whereIs(file))) throw outside('path leads outside the scratch directory');
    await file.writeFile(content, 'utf8');
    await file.sync();
    await renameOrExplain(at(dir, temp), at(dir, name));
    placed = true;
    // Make the rename itself durable; a few file systems cannot fsync a directory, which only costs durability.
    await dir.sync().catch((error: unknown) => {
      if (errnoOf(error) !== 'EINVAL' && errnoOf(error) !== 'ENOTSUP') throw error;
    });
    // The held directory may have been moved out since it was checked: if so, take our file back out.
    if (!isBeneath(realRoot, await whereIs(dir))) {
      const there = await lstatOrNull(at(dir, name));
      if (there !== null && there.ino === made.ino && there.dev === made.dev) await unlink(at(dir, name));
      throw outside('the directory was moved outside the scratch directory during the write');
    }
  } finally {
    await file.close();
    if (!placed) await unlink(at(dir, temp)).catch(() => undefined);
  }
}

async function renameOrExplain(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    // Something swapped a directory in after assertReplaceable: rename refuses it rather than merging.
    if (errnoOf(error) === 'EISDIR' || errnoOf(error) === 'ENOTEMPTY') {
      throw new ToolError('path is a directory', { code: 'path_is_directory' });
    }
    throw error;
  }
}
