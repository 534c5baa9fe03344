import { execFileSync } from 'node:child_process';
import { link, lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scratchGateway, type ScratchGateway } from './scratch-gateway.js';

/** Issue 14 item 5: file.write must never create or write anything outside the scratch directory through a symlink. */
describe('file.write and symlinks', () => {
  let s: ScratchGateway;
  let outside: string;
  beforeEach(async () => {
    s = await scratchGateway();
    outside = join(s.workDir, 'outside');
    await mkdir(outside);
  });
  afterEach(() => s.close());

  it.each(['link/x.txt', 'link/new/dir/x.txt', 'a/link/b/x.txt'])('refuses %j through a symlinked folder and creates nothing outside', async (path) => {
    await mkdir(join(s.scratch, 'a'));
    await symlink(outside, join(s.scratch, 'link'));
    await symlink(outside, join(s.scratch, 'a', 'link'));
    await expect(s.write(path)).rejects.toMatchObject({ status: 422, code: 'path_has_symlink' });
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(s.workDir)).sort()).toEqual(['outside', 'scratch']);
  });

  it('refuses a symlink even when it points inside the scratch directory', async () => {
    await mkdir(join(s.scratch, 'real'));
    await symlink(join(s.scratch, 'real'), join(s.scratch, 'alias'));
    await expect(s.write('alias/x.txt')).rejects.toMatchObject({ code: 'path_has_symlink' });
    expect(await readdir(join(s.scratch, 'real'))).toEqual([]);
  });

  it('refuses a symlink as the file itself, leaving both the link and its target alone', async () => {
    const victim = join(outside, 'victim.txt');
    await writeFile(victim, 'original');
    await symlink(victim, join(s.scratch, 'file.txt'));
    await symlink(join(outside, 'absent.txt'), join(s.scratch, 'dangling.txt'));
    await expect(s.write('file.txt', 'new')).rejects.toMatchObject({ status: 422, code: 'path_has_symlink' });
    await expect(s.write('dangling.txt', 'new')).rejects.toMatchObject({ status: 422, code: 'path_has_symlink' });
    expect(await readFile(victim, 'utf8')).toBe('original');
    expect(await readdir(outside)).toEqual(['victim.txt']);
    expect((await lstat(join(s.scratch, 'file.txt'))).isSymbolicLink()).toBe(true);
  });

  it('replaces a hard link to a file outside instead of writing into that file', async () => {
    const victim = join(outside, 'victim.txt');
    await writeFile(victim, 'original');
    await link(victim, join(s.scratch, 'hard.txt'));
    await s.write('hard.txt', 'new');
    expect(await readFile(victim, 'utf8')).toBe('original');
    expect(await readFile(join(s.scratch, 'hard.txt'), 'utf8')).toBe('new');
  });

  it('refuses a FIFO at the target without blocking on it', async () => {
    execFileSync('mkfifo', [join(s.scratch, 'pipe')]);
    await expect(s.write('pipe')).rejects.toMatchObject({ status: 422, code: 'path_not_regular_file' });
    expect((await lstat(join(s.scratch, 'pipe'))).isFIFO()).toBe(true);
  });
});
