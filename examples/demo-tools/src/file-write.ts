import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { defineTool, ToolError } from '@agent-gateway/core';
import { z } from 'zod';

const MAX_CONTENT_BYTES = 256 * 1024;

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Writes a file inside `scratchDir` and nowhere else: absolute paths, `..` and symlinks that lead
 * out are refused. The write is atomic (temp file + fsync + rename), so a reader never sees half a
 * file and a symlink at the target is replaced, not followed.
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
      if (isAbsolute(path)) throw new ToolError('path must be relative to the scratch directory', { code: 'path_outside_scratch' });
      const target = resolve(root, path);
      if (!isInside(root, target) || target === root) {
        throw new ToolError('path leads outside the scratch directory', { code: 'path_outside_scratch' });
      }
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      // The lexical check above cannot see symlinks; the real parent directory must be inside too.
      const [realRoot, realParent] = await Promise.all([realpath(root), realpath(dirname(target))]);
      if (!isInside(realRoot, realParent)) {
        throw new ToolError('path leads outside the scratch directory', { code: 'path_outside_scratch' });
      }
      const finalPath = join(realParent, target.slice(dirname(target).length + 1));
      const temp = join(realParent, `.${randomBytes(8).toString('hex')}.tmp`);
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, finalPath);
      } catch (error) {
        await rm(temp, { force: true });
        if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new ToolError('path is a directory', { code: 'path_is_directory' });
        throw error;
      }
      return { path: relative(realRoot, finalPath), bytes: Buffer.byteLength(content) };
    },
  });
}
