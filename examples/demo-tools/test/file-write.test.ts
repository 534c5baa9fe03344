import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '@agent-gateway/core';
import { scratchGateway, type ScratchGateway } from './scratch-gateway.js';

describe('file.write', () => {
  let s: ScratchGateway;
  beforeEach(async () => {
    s = await scratchGateway();
  });
  afterEach(() => s.close());

  it('is held for approval and does not run before it', async () => {
    const outcome = await s.gateway.callTool({ tool: 'file.write', args: { path: 'held.txt', content: 'x' } });
    expect(outcome.status).toBe('pending');
    expect(await readdir(s.scratch)).toEqual([]);
  });

  it('writes a file inside the scratch directory, creating folders, and reports its size', async () => {
    await expect(s.write('notes/today.txt', 'héllo')).resolves.toMatchObject({ result: { path: 'notes/today.txt', bytes: 6 } });
    expect(await readFile(join(s.scratch, 'notes/today.txt'), 'utf8')).toBe('héllo');
  });

  it('creates the scratch directory itself when it is missing', async () => {
    await rm(s.scratch, { recursive: true });
    await s.write('first.txt', '1');
    expect(await readFile(join(s.scratch, 'first.txt'), 'utf8')).toBe('1');
  });

  it('creates several levels of folders and reuses existing ones', async () => {
    await s.write('a/b/c/one.txt', '1');
    await s.write('a/b/two.txt', '2');
    expect(await readFile(join(s.scratch, 'a/b/c/one.txt'), 'utf8')).toBe('1');
    expect((await readdir(join(s.scratch, 'a/b'))).sort()).toEqual(['c', 'two.txt']);
  });

  it('replaces an existing file whole and leaves no temp files behind', async () => {
    await s.write('a.txt', 'first version, longer');
    await s.write('a.txt', 'second');
    expect(await readFile(join(s.scratch, 'a.txt'), 'utf8')).toBe('second');
    expect(await readdir(s.scratch)).toEqual(['a.txt']);
  });

  const refused = async (path: string) => {
    const error = await s.write(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(422);
    // Refused on the text alone: nothing was created, inside or out.
    expect(await readdir(s.workDir)).toEqual(['scratch']);
    expect(await readdir(s.scratch)).toEqual([]);
    return (error as GatewayError).code;
  };

  it.each(['../escape.txt', 'a/../../escape.txt', 'a/../b.txt', '/etc/passwd', '/tmp/x.txt'])('refuses %j as outside the scratch directory', async (path) => {
    expect(await refused(path)).toBe('path_outside_scratch');
  });

  it.each(['.', './a.txt', 'a/./b.txt', 'a//b.txt', 'a/', 'new/dir/', `${'n'.repeat(256)}.txt`, `dir/${'é'.repeat(128)}`])(
    'refuses %j as an invalid path, creating nothing',
    async (path) => {
      expect(await refused(path)).toBe('invalid_path');
    },
  );

  it('accepts a name of exactly 255 bytes', async () => {
    const name = 'n'.repeat(251) + '.txt';
    await expect(s.write(name)).resolves.toMatchObject({ result: { path: name } });
  });

  it('refuses to replace a directory, and to write through a file used as a folder', async () => {
    await mkdir(join(s.scratch, 'dir'));
    await expect(s.write('dir')).rejects.toMatchObject({ status: 422, code: 'path_is_directory' });
    await s.write('file.txt');
    await expect(s.write('file.txt/inner.txt')).rejects.toMatchObject({ status: 422, code: 'path_not_directory' });
    expect((await readdir(s.scratch)).sort()).toEqual(['dir', 'file.txt']);
  });

  it('refuses content over 256 KiB and paths with NUL through its schema (422), before any approval', async () => {
    const call = (path: string, content: string) => s.gateway.callTool({ tool: 'file.write', args: { path, content } });
    await expect(call('big.txt', 'x'.repeat(256 * 1024 + 1))).rejects.toMatchObject({ status: 422, code: 'invalid_args' });
    await expect(call('a\0b', 'x')).rejects.toMatchObject({ status: 422, code: 'invalid_args' });
  });

  it('echo returns its text', async () => {
    await expect(s.gateway.callTool({ tool: 'echo', args: { text: 'hi' } })).resolves.toMatchObject({ result: { text: 'hi' } });
  });
});
