import { mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Gateway, GatewayError, settledResult, silentLogger, systemCaller } from '@agent-gateway/core';
import { registerDemoTools } from '../src/index.js';

describe('file.write', () => {
  let workDir: string;
  let scratch: string;
  let gateway: Gateway;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'file-write-'));
    scratch = join(workDir, 'scratch');
    await mkdir(scratch);
    gateway = new Gateway({ logger: silentLogger });
    registerDemoTools(gateway, { scratchDir: scratch });
  });
  afterEach(async () => {
    await gateway.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** file.write is held for approval: request it, approve it as someone else, and return what the run gave. */
  const write = async (path: string, content = 'data') => {
    const outcome = await gateway.callTool({ tool: 'file.write', args: { path, content } });
    if (outcome.status !== 'pending') throw new Error('file.write ran without approval');
    const decided = await gateway.approvals.approve(outcome.approvalId, systemCaller('reviewer'));
    return { result: settledResult(decided)?.result };
  };

  it('is held for approval and does not run before it', async () => {
    const outcome = await gateway.callTool({ tool: 'file.write', args: { path: 'held.txt', content: 'x' } });
    expect(outcome.status).toBe('pending');
    expect(await readdir(scratch)).toEqual([]);
  });

  it('writes a file inside the scratch directory, creating folders, and reports its size', async () => {
    await expect(write('notes/today.txt', 'héllo')).resolves.toMatchObject({ result: { path: 'notes/today.txt', bytes: 6 } });
    expect(await readFile(join(scratch, 'notes/today.txt'), 'utf8')).toBe('héllo');
  });

  it('replaces an existing file whole and leaves no temp files behind', async () => {
    await write('a.txt', 'first version, longer');
    await write('a.txt', 'second');
    expect(await readFile(join(scratch, 'a.txt'), 'utf8')).toBe('second');
    expect(await readdir(scratch)).toEqual(['a.txt']);
  });

  it.each(['../escape.txt', 'a/../../escape.txt', '/etc/passwd', '.', 'a/..'])('refuses %j', async (path) => {
    const error = await write(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toMatch(/path_outside_scratch|path_is_directory/);
    expect(await readdir(workDir)).toEqual(['scratch']);
  });

  it('refuses a path through a symlink that leads out of the scratch directory', async () => {
    const outside = join(workDir, 'outside');
    await mkdir(outside);
    await symlink(outside, join(scratch, 'link'));
    const error = await write('link/pwned.txt').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'path_outside_scratch' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('replaces a symlink at the target instead of writing through it', async () => {
    const victim = join(workDir, 'victim.txt');
    await writeFile(victim, 'original');
    await symlink(victim, join(scratch, 'file.txt'));
    await write('file.txt', 'new');
    expect(await readFile(victim, 'utf8')).toBe('original');
    expect(await readFile(join(scratch, 'file.txt'), 'utf8')).toBe('new');
  });

  it('refuses content over 256 KiB and paths with NUL through its schema (422), before any approval', async () => {
    const call = (path: string, content: string) => gateway.callTool({ tool: 'file.write', args: { path, content } });
    await expect(call('big.txt', 'x'.repeat(256 * 1024 + 1))).rejects.toMatchObject({ status: 422, code: 'invalid_args' });
    await expect(call('a\0b', 'x')).rejects.toMatchObject({ status: 422, code: 'invalid_args' });
  });

  it('echo returns its text', async () => {
    await expect(gateway.callTool({ tool: 'echo', args: { text: 'hi' } })).resolves.toMatchObject({ result: { text: 'hi' } });
  });
});
