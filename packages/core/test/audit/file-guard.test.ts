import { mkdtemp, open, readFile, rename, rm, stat, truncate, unlink, writeFile, appendFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adoptReplacement, inspectFile, repairFile } from '../../src/audit/file-guard.js';

// The audit file's guard on its own (issue 24: file-guard.ts was unmeasured): what each kind of change
// is recognised as, and what each repair leaves on disk and records, byte for byte, with files larger
// than one 64 KiB chunk so the chunked reads and copies cross their boundaries.

let dir: string;
let path: string;
const handles: FileHandle[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-guard-'));
  path = join(dir, 'audit.log');
});
afterEach(async () => {
  for (const handle of handles.splice(0)) await handle.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** `count` numbered lines of `width` bytes each (newline included). */
function lines(count: number, width = 100, from = 1): string {
  let text = '';
  for (let i = from; i < from + count; i += 1) text += `${`{"seq":${i}}`.padEnd(width - 1, ' ')}\n`;
  return text;
}

/** The log's file as the log holds it: written, then open for appending and reading. */
async function held(text: string): Promise<FileHandle> {
  await writeFile(path, text, { mode: 0o600 });
  const file = await open(path, 'a+');
  handles.push(file);
  return file;
}

/** Puts `text` at the path as a new file (another inode), the way `sed -i` or an editor does. */
async function replaceWith(text: string): Promise<void> {
  const next = `${path}.next`;
  await writeFile(next, text);
  await rename(next, path);
}

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('inspectFile', () => {
  it('same: the file at the path is the one held, at the size the log wrote', async () => {
    const file = await held(lines(3));
    expect(await inspectFile(path, file, 300)).toEqual({ kind: 'same' });
  });

  it('appended, truncated: the same file at another size', async () => {
    const file = await held(lines(3));
    await appendFile(path, 'x');
    expect(await inspectFile(path, file, 300)).toEqual({ kind: 'appended', size: 301 });
    await truncate(path, 250);
    expect(await inspectFile(path, file, 300)).toEqual({ kind: 'truncated', size: 250 });
  });

  it('replaced: another file at the path, with both inodes; or none at all', async () => {
    const file = await held(lines(3));
    const oldInode = (await file.stat()).ino;
    await replaceWith(lines(3));
    const newInode = (await stat(path)).ino;
    expect(newInode).not.toBe(oldInode);
    expect(await inspectFile(path, file, 300)).toEqual({ kind: 'replaced', oldInode, newInode });
    await unlink(path);
    expect(await inspectFile(path, file, 300)).toEqual({ kind: 'replaced', oldInode, newInode: undefined });
  });

  it('a path that cannot be looked at for another reason than absence is an error, not a replacement', async () => {
    const file = await held(lines(1));
    await expect(inspectFile(join(path, 'below-a-file'), file, 100)).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('adoptReplacement', () => {
  const replaced = async (file: FileHandle) => ({ kind: 'replaced' as const, oldInode: (await file.stat()).ino, newInode: (await stat(path)).ino });

  it('keeps a durable 0600 copy of everything the log wrote, even when the old file is gone', async () => {
    const text = lines(1500); // 150,000 bytes: three chunks
    const file = await held(text);
    await unlink(path);
    const keepAs = `${path}.replaced-1`;
    const adopted = await adoptReplacement(path, file, keepAs, { kind: 'replaced', oldInode: (await file.stat()).ino, newInode: undefined });
    handles.push(adopted.file);
    expect(await readFile(keepAs, 'utf8')).toBe(text);
    expect(await mode(keepAs)).toBe(0o600);
    // Nothing was at the path: the log's whole content is written back, as a new 0600 file.
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(await mode(path)).toBe(0o600);
    expect(adopted.size).toBe(text.length);
    expect(adopted.details).toMatchObject({ found: 'missing', restored_entries: 1500, previous_file: 'audit.log.replaced-1', previous_bytes: 150_000, found_bytes: 0 });
  });

  it('an identical copy: nothing restored', async () => {
    const text = lines(700);
    const file = await held(text);
    await replaceWith(text);
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(adopted.details).toMatchObject({ found: 'identical', restored_entries: 0, previous_bytes: 70_000, found_bytes: 70_000 });
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('a copy taken before the last entries, ending in a torn line: completed from where it ends, the torn line with it', async () => {
    const text = lines(1000);
    const file = await held(text);
    // 800 whole lines and half of the 801st: the rest of the 801st and 199 more come back.
    await replaceWith(text.slice(0, 80_050));
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(adopted.size).toBe(100_000);
    expect(adopted.details).toMatchObject({ found: 'prefix', restored_entries: 200, previous_bytes: 100_000, found_bytes: 80_050 });
  });

  it('a torn line longer than one 64 KiB chunk: completed the same way', async () => {
    const long = `${'{"big":"'.padEnd(100_000, 'x')}"}\n`;
    const text = `${lines(1)}${long}${lines(1, 100, 3)}`;
    const file = await held(text);
    await replaceWith(text.slice(0, 100 + 80_000));
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(adopted.details).toMatchObject({ found: 'prefix', restored_entries: 2 });
  });

  it('a copy that ends exactly at a line: nothing cut, the missing lines written back', async () => {
    const text = lines(3);
    const file = await held(text);
    await replaceWith(text.slice(0, 200));
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(adopted.details).toMatchObject({ found: 'prefix', restored_entries: 1 });
  });

  it('a copy torn inside its first line: completed, every entry back', async () => {
    const text = lines(2);
    const file = await held(text);
    await replaceWith(text.slice(0, 40));
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(adopted.details).toMatchObject({ found: 'prefix', restored_entries: 2 });
  });

  it('an edited copy is left as found, and the first differing line is named, past the first chunk', async () => {
    const text = lines(1000);
    const file = await held(text);
    const edited = `${text.slice(0, 70_000)}{"seq":"edited"}${text.slice(70_016)}`;
    await replaceWith(edited);
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(await readFile(path, 'utf8')).toBe(edited);
    expect(adopted.size).toBe(edited.length);
    expect(adopted.details).toMatchObject({ found: 'different', first_difference_line: 701 });
    expect(adopted.details).not.toHaveProperty('restored_entries');
    expect(await readFile(`${path}.kept`, 'utf8')).toBe(text);
  });

  it('a copy with more than the log wrote is different, its first extra line named', async () => {
    const text = lines(3);
    const file = await held(text);
    await replaceWith(`${text}{"forged":true}\n`);
    const adopted = await adoptReplacement(path, file, `${path}.kept`, await replaced(file));
    handles.push(adopted.file);
    expect(adopted.details).toMatchObject({ found: 'different', first_difference_line: 4, found_bytes: 316, previous_bytes: 300 });
  });

  it('refuses to overwrite an existing kept copy', async () => {
    const file = await held(lines(1));
    await writeFile(`${path}.kept`, 'earlier evidence');
    await replaceWith(lines(1));
    await expect(adoptReplacement(path, file, `${path}.kept`, await replaced(file))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(`${path}.kept`, 'utf8')).toBe('earlier evidence');
  });
});

describe('repairFile', () => {
  it('bytes appended by something else are cut off, kept 0600 beside the log and recorded', async () => {
    const text = lines(1000);
    const file = await held(text);
    const foreign = 'x'.repeat(70_000);
    await appendFile(path, foreign);
    const repair = await repairFile(path, file, 100_000, { kind: 'appended', size: 170_000 }, 'T1');
    expect(repair.file).toBe(file);
    expect(repair.size).toBe(100_000);
    expect(repair.event).toBe('audit_file_modified');
    expect(repair.details).toEqual({ change: 'appended', bytes: 70_000, saved_to: 'audit.log.foreign-T1' });
    expect(await readFile(`${path}.foreign-T1`, 'utf8')).toBe(foreign);
    expect(await mode(`${path}.foreign-T1`)).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('a file shrunk again between the check and the repair: what is still there is kept, without waiting for the rest', async () => {
    const text = lines(2);
    const file = await held(`${text}foreign`);
    await truncate(path, 203); // 'foreign' seen at 207 bytes, then cut to 'for'
    const repair = await repairFile(path, file, 200, { kind: 'appended', size: 207 }, 'T4');
    expect(await readFile(`${path}.foreign-T4`, 'utf8')).toBe('for');
    expect(repair.details).toMatchObject({ change: 'appended', bytes: 7 });
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('a file cut short is recorded, and the log goes on from the size found', async () => {
    const file = await held(lines(3));
    await truncate(path, 120);
    const repair = await repairFile(path, file, 300, { kind: 'truncated', size: 120 }, 'T2');
    expect(repair).toMatchObject({ size: 120, event: 'audit_file_modified', details: { change: 'truncated', expected_bytes: 300, found_bytes: 120 } });
    expect(repair.file).toBe(file);
  });

  it('a replaced file is adopted, the old handle closed, and recorded as a replacement', async () => {
    const text = lines(2);
    const file = await held(text);
    await replaceWith(text.slice(0, 100));
    const repair = await repairFile(path, file, 200, { kind: 'replaced', oldInode: (await file.stat()).ino, newInode: (await stat(path)).ino }, 'T3');
    handles.push(repair.file);
    expect(repair.event).toBe('audit_file_replaced');
    expect(repair.details).toMatchObject({ found: 'prefix', previous_file: 'audit.log.replaced-T3', restored_entries: 1 });
    expect(repair.size).toBe(200);
    await expect(file.stat()).rejects.toMatchObject({ code: 'EBADF' });
    expect(await readFile(`${path}.replaced-T3`, 'utf8')).toBe(text);
  });
});
