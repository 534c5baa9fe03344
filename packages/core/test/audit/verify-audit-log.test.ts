import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seqRange } from '../../src/audit/verify-audit-log.js';
import { AuditLog, verifyAuditLog, type AuditCheckpoint } from '../../src/index.js';

// verifyAuditLog's own findings, each with its exact report (issue 24: verify-audit-log.ts's mutants):
// the checkpoint missing, unreadable or given, its signature, entries cut from the end, a checkpoint
// in a file no longer there, a rewritten entry, and a chain break, which comes first.

const system = { type: 'system', name: 'test' } as const;

let dir: string;
let path: string;
let publicKey: string;
let checkpoints: AuditCheckpoint[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-audit-'));
  path = join(dir, 'audit.log');
  checkpoints = [];
  const log = await AuditLog.open(path, { checkpointSinks: [{ write: (checkpoint) => void checkpoints.push(checkpoint) }] });
  for (let i = 1; i <= 4; i += 1) await log.append('e', system, { i });
  await log.close();
  await new Promise((resolve) => setImmediate(resolve));
  publicKey = log.publicKey();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const checkpointPath = (): string => `${path}.checkpoint.json`;
const onDisk = async (): Promise<AuditCheckpoint> => JSON.parse(await readFile(checkpointPath(), 'utf8')) as AuditCheckpoint;
const lines = async (): Promise<string[]> => (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');

describe('verifyAuditLog', () => {
  it('an intact log: ok, with the checkpoint it reached (and the file it came from)', async () => {
    const checkpoint = await onDisk();
    const report = await verifyAuditLog(path, { publicKey });
    expect(report.ok).toBe(true);
    expect(report.first_broken).toBeUndefined();
    expect(report.checkpoint).toEqual({ file: checkpointPath(), seq: 4, hash: checkpoint.hash, ts: checkpoint.ts, key_id: checkpoint.key_id, signature_valid: true });
  });

  it('a checkpoint given as an object (a sink\'s): no file named', async () => {
    const report = await verifyAuditLog(path, { publicKey, checkpoint: checkpoints.at(-1) });
    expect(report.ok).toBe(true);
    expect(report.checkpoint).not.toHaveProperty('file');
    expect(report.checkpoint?.seq).toBe(4);
  });

  it('a checkpoint given as another file is read from there', async () => {
    const kept = join(dir, 'kept.json');
    await rename(checkpointPath(), kept);
    expect((await verifyAuditLog(path, { publicKey, checkpoint: kept })).checkpoint?.file).toBe(kept);
  });

  it('without a usable checkpoint the end cannot be vouched for: the break is after the last line, saying why', async () => {
    const after = { file: path, line: 5 };
    const given = await verifyAuditLog(path, { publicKey, checkpoint: { ...(await onDisk()), hash: 'not a hash' } });
    expect(given).toMatchObject({ ok: false, last_seq: 4 });
    expect(given.first_broken).toEqual({ ...after, reason: 'the checkpoint given is not an audit checkpoint (given): entries cut from the end cannot be ruled out' });
    await writeFile(checkpointPath(), '{not json');
    expect((await verifyAuditLog(path, { publicKey })).first_broken).toEqual({ ...after, reason: 'the checkpoint is not valid JSON (audit.log.checkpoint.json): entries cut from the end cannot be ruled out' });
    await rm(checkpointPath());
    expect((await verifyAuditLog(path, { publicKey })).first_broken).toEqual({ ...after, reason: 'there is no signed checkpoint (audit.log.checkpoint.json): entries cut from the end cannot be ruled out' });
  });

  it('a chain break comes first, with or without a checkpoint', async () => {
    const edited = (await lines()).map((line) => line.replace('"i":2', '"i":22'));
    await writeFile(path, `${edited.join('\n')}\n`);
    const withCheckpoint = await verifyAuditLog(path, { publicKey });
    expect(withCheckpoint.first_broken).toMatchObject({ line: 2, seq: 2, reason: 'hash does not match the entry (it was edited)' });
    expect(withCheckpoint.checkpoint?.signature_valid).toBe(true);
    await rm(checkpointPath());
    const without = await verifyAuditLog(path, { publicKey });
    expect(without.first_broken).toMatchObject({ line: 2, seq: 2, reason: 'hash does not match the entry (it was edited)' });
    expect(without.checkpoint).toBeUndefined();
  });

  it('a checkpoint whose signature does not verify: the break is after the last line, and the checkpoint is shown as invalid', async () => {
    await writeFile(checkpointPath(), JSON.stringify({ ...(await onDisk()), ts: '2000-01-01T00:00:00.000Z' }));
    const report = await verifyAuditLog(path, { publicKey });
    expect(report.first_broken).toEqual({ file: path, line: 5, reason: 'the checkpoint signature does not verify (the checkpoint was altered)' });
    expect(report.checkpoint?.signature_valid).toBe(false);
  });

  it('entries cut from the end: from the first missing, with the checkpoint\'s time and seq', async () => {
    const { ts } = await onDisk();
    await writeFile(path, `${(await lines()).slice(0, 2).join('\n')}\n`);
    const report = await verifyAuditLog(path, { publicKey });
    expect(report.first_broken).toEqual({ file: path, line: 3, seq: 3, reason: `entries 3..4 are missing (cut from the end): the checkpoint signed at ${ts} says the log reached seq 4, but it ends at seq 2` });
    expect(seqRange(4, 4)).toBe('entry 4 is');
    expect(seqRange(2, 4)).toBe('entries 2..4 are');
  });

  it('an entry rewritten (chain and all) at the checkpoint\'s seq: named where it is', async () => {
    // Entries 1..3 kept and the checkpoint removed: reopening chains a fourth entry of its own to them
    // (recording the missing checkpoint). The chain verifies; the old checkpoint of seq 4 does not.
    await writeFile(path, `${(await lines()).slice(0, 3).join('\n')}\n`);
    await rm(checkpointPath());
    await (await AuditLog.open(path)).close();
    const report = await verifyAuditLog(path, { publicKey, checkpoint: checkpoints.at(-1) });
    expect(report.first_broken).toEqual({ file: path, line: 4, seq: 4, reason: 'the entry at seq 4 is not the one the signed checkpoint recorded: the log was rewritten at or before it' });
  });

  it('a checkpoint whose seq is in a rotated file no longer beside the log: says it cannot be held against the files', async () => {
    const log = await AuditLog.open(path);
    await log.rotate();
    await log.append('after', system, {});
    await log.close();
    const rotated = (await readdir(dir)).find((name) => /^audit\.log\.\d/.test(name)) ?? '';
    await rename(join(dir, rotated), join(dir, `archived-${rotated}`));
    // The anchor names the old file's last entry (seq 4); an earlier checkpoint's entry was only in that file.
    const earlier = checkpoints.find((checkpoint) => checkpoint.seq < 4);
    expect(earlier).toBeDefined();
    const report = await verifyAuditLog(path, { publicKey, checkpoint: earlier });
    expect(report.first_broken).toEqual({ file: path, line: 1, seq: earlier?.seq, reason: `the checkpoint's seq ${String(earlier?.seq)} is in a file no longer beside the log, so the files cannot be held against it` });
    expect((await verifyAuditLog(path, { publicKey })).ok).toBe(true);
  });

  it('across three files: the break after the last line is in the current file; a checkpoint older than the files is named at the oldest', async () => {
    const log = await AuditLog.open(path);
    await log.rotate();
    await log.append('middle', system, {});
    await log.rotate();
    await log.append('current', system, {});
    await log.close();
    const rotated = (await readdir(dir)).filter((name) => /^audit\.log\.\d/.test(name)).sort();
    expect(rotated).toHaveLength(2);
    await rm(checkpointPath());
    expect((await verifyAuditLog(path, { publicKey })).first_broken).toMatchObject({ file: path, line: 3 });
    // The oldest file archived: the walk starts at the middle one, and the checkpoint's seq is before it.
    await rename(join(dir, rotated[0] ?? ''), join(dir, `archived-${rotated[0] ?? ''}`));
    const earlier = checkpoints.find((checkpoint) => checkpoint.seq < 4);
    const report = await verifyAuditLog(path, { publicKey, checkpoint: earlier });
    expect(report.files).toEqual([join(dir, rotated[1] ?? ''), path]);
    expect(report.first_broken).toMatchObject({ file: join(dir, rotated[1] ?? ''), line: 1, seq: earlier?.seq });
  });

  it('maxFiles bounds the walk back through rotated files', async () => {
    const log = await AuditLog.open(path);
    await log.rotate();
    await log.rotate();
    await log.close();
    const report = await verifyAuditLog(path, { publicKey, maxFiles: 1 });
    expect(report.files).toEqual([path]);
    expect(report.anchored_to).toBeDefined();
    expect((await verifyAuditLog(path, { publicKey })).files).toHaveLength(3);
  });
});
