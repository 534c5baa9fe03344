import { appendFile, mkdtemp, readdir, readFile, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditLog, type AuditEntry } from '../../src/index.js';

// Regression for issue 14 (8): rewriting the log while the gateway ran (`sed -i`) sent later writes
// to the deleted file, so acknowledged entries were in no file anyone could read.
const system = { type: 'system', name: 'test' } as const;

describe('the log file changed under a running log', () => {
  let dir: string;
  let path: string;
  let log: AuditLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-replaced-'));
    path = join(dir, 'audit.log');
    log = await AuditLog.open(path);
    for (let i = 0; i < 6; i += 1) await log.append('e', system, { i });
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  const entries = async (file = path): Promise<AuditEntry[]> =>
    (await readFile(file, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditEntry);
  /** What `sed -i` does: write a new file beside, rename it over the log. */
  const replaceWith = async (text: string): Promise<void> => {
    await writeFile(join(dir, 'sed-tmp'), text);
    await rename(join(dir, 'sed-tmp'), path);
  };
  const appendAfter = async (): Promise<AuditEntry[]> => [await log.append('after', system, { n: 1 }), await log.append('after', system, { n: 2 })];

  it('sed -i edits a line: later entries land in the file on disk, the replacement is recorded, verify explains', async () => {
    const text = await readFile(path, 'utf8');
    await replaceWith(text.replace('"i":2', '"i":20'));
    const acked = await appendAfter();
    const onDisk = await entries();
    // Every acknowledged entry is in the file at the path, after the entry recording the replacement.
    expect(onDisk.slice(-3).map((e) => e.event)).toEqual(['audit_file_replaced', 'after', 'after']);
    expect(onDisk.slice(-2)).toEqual(acked);
    const replaced = onDisk.at(-3);
    expect(replaced).toMatchObject({ seq: 7, details: { found: 'different', first_difference_line: 3, previous_file: expect.stringMatching(/^audit\.log\.replaced-/) } });
    expect(replaced?.details.previous_inode).not.toBe(replaced?.details.new_inode);
    const report = await log.verify();
    expect(report).toMatchObject({
      ok: false,
      first_broken: {
        line: 3,
        reason: expect.stringMatching(/edited/),
        explained_by: {
          event: 'audit_file_replaced',
          line: 7,
          note: expect.stringMatching(/replaced while the gateway had it open .* differs from the gateway's own from line 3/),
          kept_copy: { ok: true, last_seq: 6, reaches_this_entry: true },
        },
      },
    });
    // The kept copy is the log's own record of what it had written.
    const kept = join(dir, String(replaced?.details.previous_file));
    expect((await entries(kept)).map((e) => e.details.i)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('an identical copy moved over the log: recorded, and the chain still verifies', async () => {
    await replaceWith(await readFile(path, 'utf8'));
    await appendAfter();
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, last_seq: 9, incidents: [{ event: 'audit_file_replaced', note: expect.stringMatching(/identical copy/) }] });
  });

  it('sed -i deletes the last line: the missing entry is written back, so nothing acknowledged is lost', async () => {
    const text = await readFile(path, 'utf8');
    await replaceWith(`${text.trimEnd().split('\n').slice(0, -1).join('\n')}\n`);
    await appendAfter();
    expect((await entries()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, incidents: [{ note: expect.stringMatching(/missing the last 1 entries, which were written back/) }] });
  });

  it('rm: verify says so; the next write starts a new file with every entry the log wrote, and records the deletion', async () => {
    await unlink(path);
    await expect(log.verify()).resolves.toMatchObject({ ok: false, first_broken: { reason: expect.stringMatching(/log file is missing/) } });
    await appendAfter();
    const onDisk = await entries();
    expect(onDisk.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(onDisk[6]).toMatchObject({ event: 'audit_file_replaced', details: { found: 'missing', restored_entries: 6 } });
    await expect(log.verify()).resolves.toMatchObject({ ok: true, incidents: [{ note: expect.stringMatching(/deleted/) }] });
  });

  it('bytes appended by something else are cut off, kept, and recorded', async () => {
    await appendFile(path, '{"forged":true}\n');
    await appendAfter();
    const onDisk = await entries();
    expect(onDisk.at(-3)).toMatchObject({ event: 'audit_file_modified', details: { change: 'appended', bytes: 16 } });
    const saved = (await readdir(dir)).find((f) => f.startsWith('audit.log.foreign-'));
    expect(await readFile(join(dir, saved ?? ''), 'utf8')).toBe('{"forged":true}\n');
    await expect(log.verify()).resolves.toMatchObject({ ok: true });
  });

  it('cut short in place: recorded, and verify points at it', async () => {
    const text = await readFile(path, 'utf8');
    await truncate(path, Buffer.byteLength(text.trimEnd().split('\n').slice(0, 4).join('\n')) + 1);
    await appendAfter();
    const report = await log.verify();
    expect(report).toMatchObject({
      ok: false,
      first_broken: { line: 5, seq: 7, explained_by: { event: 'audit_file_modified', note: expect.stringMatching(/cut short/) } },
    });
  });

  it('offline verify explains a replacement the same way', async () => {
    await replaceWith((await readFile(path, 'utf8')).replace('"i":4', '"i":40'));
    await appendAfter();
    await log.close();
    const report = await verifyAuditLog(path, { publicKey: log.publicKey() });
    expect(report).toMatchObject({ ok: false, first_broken: { line: 5, explained_by: { event: 'audit_file_replaced' } } });
  });
});
