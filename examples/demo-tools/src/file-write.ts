import { isAbsolute, resolve } from 'node:path';
import { defineTool, ToolError } from '@agent-gateway/core';
import { z } from 'zod';
import { writeFileBeneath } from './write-beneath.js';

const MAX_CONTENT_BYTES = 256 * 1024;
/** NAME_MAX on Linux filesystems: a longer name would fail later with a less clear error. */
const MAX_NAME_BYTES = 255;

/**
 * Splits a caller's path into names, refusing anything that is not a plain relative path. Checked on
 * the text alone, before any file system call, so a refused path has touched nothing.
 */
function segmentsOf(path: string): string[] {
  if (isAbsolute(path)) throw new ToolError('path must be relative to the scratch directory', { code: 'path_outside_scratch' });
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '..') throw new ToolError('path leads outside the scratch directory', { code: 'path_outside_scratch' });
    // Empty and `.` names are refused, not normalised: `a//b`, `a/` and `.` are mistakes, and `.` alone is the root itself.
    if (segment === '' || segment === '.') throw new ToolError('path must be a file name or folders/name, without empty or "." parts', { code: 'invalid_path' });
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) throw new ToolError(`each name in path must be at most ${MAX_NAME_BYTES} bytes`, { code: 'invalid_path' });
  }
  return segments;
}

/**
 * Writes a file inside `scratchDir` and nowhere else. Absolute paths, `..` and every symlink on the path
 * (folders and the file itself) are refused; folders are created one by one, each opened relative to the
 * one before, so a folder swapped for a symlink mid-write is refused instead of followed (write-beneath.ts).
 * The write is atomic (temp file + fsync + rename), so a reader never sees half a file.
 */
export function fileWriteTool(scratchDir: string) {
  const root = resolve(scratchDir);
  return defineTool({
    name: 'file.write',
    description: 'Writes a UTF-8 text file inside the scratch directory (held for human approval).',
    requiresApproval: true,
    args: z
      .object({
        path: z
          .string()
          .min(1)
          .max(1024)
          .refine((p) => !p.includes('\0'), 'must not contain NUL'),
        content: z.string().refine((c) => Buffer.byteLength(c) <= MAX_CONTENT_BYTES, `must be at most ${MAX_CONTENT_BYTES} bytes`),
      })
      .strict(),
    async run({ path, content }) {
      const segments = segmentsOf(path);
      await writeFileBeneath(root, segments, content);
      return { path: segments.join('/'), bytes: Buffer.byteLength(content) };
    },
  });
}
