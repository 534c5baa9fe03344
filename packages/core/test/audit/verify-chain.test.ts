import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBody, hashBody } from '../../src/audit/audit-entry.js';
import { walkChain } from '../../src/audit/verify-chain.js';
import { GENESIS_HASH, verifyChain, type AuditEntry } from '../../src/index.js';

/**
 * Chains written by hand, so each test breaks exactly one thing and keeps everything else valid:
 * every entry after a forged one is sealed and linked again, so only the check under test can
 * find it.
 */
type Draft = Omit<AuditEntry, 'hash' | 'prev' | 'seq'> & { seq?: number; prev?: string };

const actor = { type: 'system', name: 'test' } as const;

function sealed(entry: Omit<AuditEntry, 'hash'>): AuditEntry {
  return { ...entry, hash: hashBody(entryBody(entry)) };
}

/** Seals `drafts` into a chain after `from`; a draft's own `seq` or `prev` overrides the chain's. */
function chainOf(drafts: Draft[], from: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): AuditEntry[] {
  const out: AuditEntry[] = [];
  let last = from;
  for (const draft of drafts) {
    const entry = sealed({ ...draft, seq: draft.seq ?? last.seq + 1, prev: draft.prev ?? last.hash });
    out.push(entry);
    last = { seq: entry.seq, hash: entry.hash };
  }
  return out;
}

const event = (i: number): Draft => ({ ts: '2026-01-01T00:00:00.000Z', event: 'test_event', actor, details: { i } });
const rotated = (previousFile: unknown): Draft => ({ ts: '2026-01-01T00:00:00.000Z', event: 'log_rotated', actor, details: { previous_file: previousFile } });
const lastOf = (entries: AuditEntry[]): { seq: number; hash: string } => {
  const last = entries.at(-1);
  if (last === undefined) throw new Error('empty chain');
  return { seq: last.seq, hash: last.hash };
};

describe('verifyChain', () => {
  let dir: string;
  let logs: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-chain-'));
    logs = join(dir, 'logs');
    await mkdir(logs);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, entries: AuditEntry[], tail = ''): Promise<string> => {
    const path = join(logs, name);
    await writeFile(path, `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n${tail}`);
    return path;
  };

  it('a well-formed hand-made chain verifies (the baseline every case below breaks once)', async () => {
    const entries = chainOf([1, 2, 3, 4, 5].map(event));
    const path = await write('audit.log', entries);
    // Strict: no torn_tail, anchored_to or incidents key at all, not even undefined.
    expect(await verifyChain(path)).toStrictEqual({ ok: true, files: [path], entries: 5, last_seq: 5, last_hash: lastOf(entries).hash });
  });

  it('a broken prev link alone is found: right seq, a hash that matches the entry, the wrong entry before', async () => {
    const head = chainOf([1, 2].map(event));
    const forged = chainOf([{ ...event(3), prev: 'f'.repeat(64) }], lastOf(head));
    const rest = chainOf([4, 5].map(event), lastOf(forged));
    const path = await write('audit.log', [...head, ...forged, ...rest]);
    await expect(verifyChain(path)).resolves.toMatchObject({
      ok: false,
      entries: 2,
      last_seq: 2,
      first_broken: { file: path, line: 3, seq: 3, reason: expect.stringMatching(/^prev does not match/) },
    });
  });

  it('a wrong seq alone is found: linked to the entry before, sealed, but numbered out of turn', async () => {
    const head = chainOf([1, 2].map(event));
    const skipped = chainOf([{ ...event(3), seq: 4 }, event(4), event(5)], lastOf(head));
    const path = await write('audit.log', [...head, ...skipped]);
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { line: 3, seq: 4, reason: 'expected seq 3' } });
    const repeated = chainOf([{ ...event(3), seq: 2 }], lastOf(head));
    await write('audit.log', [...head, ...repeated]);
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { line: 3, seq: 2, reason: 'expected seq 3' } });
  });

  it('a first entry that starts the chain must be seq 1', async () => {
    const path = await write('audit.log', chainOf([{ ...event(1), seq: 7 }, event(2)]));
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { line: 1, seq: 7, reason: 'the chain does not start at seq 1' } });
  });

  it('a rotated file is linked to the next: an anchor that names it but not its last hash is found', async () => {
    const old = chainOf([1, 2, 3].map(event));
    const oldPath = await write('audit.log.1', old);
    // Sealed and in sequence, but anchored to a hash the old file does not end with.
    const current = chainOf([{ ...rotated('audit.log.1'), prev: 'e'.repeat(64) }, event(5)], lastOf(old));
    const path = await write('audit.log', current);
    await expect(verifyChain(path)).resolves.toMatchObject({
      ok: false,
      files: [oldPath, path],
      entries: 3,
      first_broken: { file: path, line: 1, seq: 4, reason: expect.stringMatching(/^prev does not match/) },
    });
    // Right hash, wrong number: the new file must go on from the old file's last seq.
    const renumbered = chainOf([{ ...rotated('audit.log.1'), seq: 9 }, event(5)], lastOf(old));
    await write('audit.log', renumbered);
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { file: path, line: 1, seq: 9, reason: 'expected seq 4' } });
    // Both right: the chain runs across the two files.
    const linked = chainOf([rotated('audit.log.1'), event(5)], lastOf(old));
    await write('audit.log', linked);
    await expect(verifyChain(path)).resolves.toEqual({ ok: true, files: [oldPath, path], entries: 5, last_seq: 5, last_hash: lastOf(linked).hash });
  });

  it.each([
    ['a parent folder', '../outside.log'],
    ['an absolute path', 'ABSOLUTE'],
    ['a nested path', 'sub/inner.log'],
    ['no name at all', 42],
    ['the folder itself', '.'],
    ['its parent', '..'],
    ['an empty name', ''],
  ])('an anchor whose previous_file is %s is refused, and nothing outside the log folder is read', async (_, name) => {
    // A valid chain the forged anchor points at: following it would make the log verify.
    const outside = chainOf([1, 2, 3].map(event));
    await writeFile(join(dir, 'outside.log'), `${outside.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    await mkdir(join(logs, 'sub'));
    await writeFile(join(logs, 'sub', 'inner.log'), `${outside.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    const previous = name === 'ABSOLUTE' ? join(dir, 'outside.log') : name;
    const path = await write('audit.log', chainOf([rotated(previous), event(5)], lastOf(outside)));
    const report = await verifyChain(path);
    expect(report).toMatchObject({ ok: false, files: [path], first_broken: { file: path, line: 1, seq: 4, reason: expect.stringMatching(/previous_file/) } });
  });

  it('the walk back through rotated files stops at maxFiles, reporting where it stopped as the anchor', async () => {
    // audit.log.1 <- audit.log.2 <- audit.log.3 <- audit.log
    const one = chainOf([event(1)]);
    const two = chainOf([rotated('audit.log.1'), event(3)], lastOf(one));
    const three = chainOf([rotated('audit.log.2'), event(5)], lastOf(two));
    const current = chainOf([rotated('audit.log.3'), event(7)], lastOf(three));
    const paths = [await write('audit.log.1', one), await write('audit.log.2', two), await write('audit.log.3', three), await write('audit.log', current)];
    await expect(verifyChain(paths[3] ?? '')).resolves.toMatchObject({ ok: true, files: paths, entries: 7 });
    await expect(verifyChain(paths[3] ?? '', 4)).resolves.toMatchObject({ ok: true, files: paths, entries: 7 });
    const report = await verifyChain(paths[3] ?? '', 3);
    expect(report).toMatchObject({ ok: true, files: paths.slice(1), entries: 6, anchored_to: { file: 'audit.log.1', hash: lastOf(one).hash } });
    await expect(verifyChain(paths[3] ?? '', 1)).resolves.toMatchObject({ ok: true, files: [paths[3]], entries: 2, anchored_to: { file: 'audit.log.3' } });
  });

  it('anchors that loop back to a file already walked are found, not followed round', async () => {
    // Each file anchors to the other: a forged loop.
    const a = chainOf([rotated('b.log'), event(2)], { seq: 0, hash: 'a'.repeat(64) });
    const b = chainOf([rotated('a.log'), event(4)], lastOf(a));
    await write('a.log', a);
    const path = await write('b.log', b);
    const report = await verifyChain(path);
    expect(report.ok).toBe(false);
    expect(report.first_broken?.reason).toMatch(/loop/);
    expect(report.files.length).toBeLessThanOrEqual(2);
  });

  it('a torn line at the end of a rotated (not the last) file fails; at the end of the last file it is a torn tail', async () => {
    const old = chainOf([1, 2, 3].map(event));
    const torn = '{"seq":4,"ts":"2026-01-01T00:00:00.000Z","event":"ha';
    const oldPath = await write('audit.log.1', old, torn);
    const current = chainOf([rotated('audit.log.1'), event(5)], lastOf(old));
    const path = await write('audit.log', current);
    await expect(verifyChain(path)).resolves.toMatchObject({
      ok: false,
      first_broken: { file: oldPath, line: 4, reason: 'a rotated file ends in an incomplete entry' },
    });
    // The same bytes at the end of the live file: a write cut short by a crash, reported, not a break.
    await write('audit.log.1', old);
    await write('audit.log', current, torn);
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: true, entries: 5, torn_tail: { file: path, line: 3, bytes: Buffer.byteLength(torn) } });
  });

  it('a torn line in the middle of a rotated file (entries after it) fails as damage', async () => {
    const old = chainOf([1, 2, 3].map(event));
    const oldPath = join(logs, 'audit.log.1');
    const lines = old.map((entry) => JSON.stringify(entry));
    await writeFile(oldPath, `${lines[0]}\n{"seq":2,"ts":"2026-0\n${lines.slice(1).join('\n')}\n`);
    const path = await write('audit.log', chainOf([rotated('audit.log.1'), event(5)], lastOf(old)));
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { file: oldPath, line: 2, reason: 'not a valid audit entry' } });
  });

  it("a replaced file's incident points at the log's kept copy beside it, never at a path outside the folder", async () => {
    const kept = chainOf([1, 2].map(event));
    await write('audit.log.replaced-1', kept);
    await writeFile(join(dir, 'outside.log'), `${kept.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    const replaced = (previousFile: string): Draft => ({ ts: '2026-01-01T00:00:00.000Z', event: 'audit_file_replaced', actor, details: { previous_file: previousFile, found: 'identical' } });
    const honest = chainOf([replaced('audit.log.replaced-1'), event(4)], lastOf(kept));
    const path = await write('audit.log', [...kept, ...honest]);
    const report = await verifyChain(path);
    expect(report).toMatchObject({ ok: true, incidents: [{ file: path, line: 3, seq: 3, event: 'audit_file_replaced' }] });
    expect(report.incidents?.[0]?.kept_copy).toEqual({ file: join(logs, 'audit.log.replaced-1'), ok: true, last_seq: 2, reaches_this_entry: true });
    for (const name of ['../outside.log', join(dir, 'outside.log'), '..']) {
      await write('audit.log', [...kept, ...chainOf([replaced(name), event(4)], lastOf(kept))]);
      const forged = await verifyChain(path);
      expect(forged, name).toMatchObject({ ok: true, incidents: [{ event: 'audit_file_replaced' }] });
      expect(forged.incidents?.[0], name).not.toHaveProperty('kept_copy');
    }
  });

  it('a broken chain is reported exactly: where, what was verified before it, and nothing else', async () => {
    const head = chainOf([1, 2].map(event));
    const path = await write('audit.log', [...head, ...chainOf([{ ...event(3), prev: 'f'.repeat(64) }], lastOf(head))]);
    expect(await verifyChain(path)).toStrictEqual({
      ok: false,
      files: [path],
      entries: 2,
      last_seq: 2,
      last_hash: lastOf(head).hash,
      first_broken: { file: path, line: 3, seq: 3, reason: 'prev does not match the hash of the entry before (an entry was removed, inserted or moved)' },
    });
  });

  it('a missing log, an empty one and one whose first line is not an entry', async () => {
    const missing = join(logs, 'gone.log');
    expect(await verifyChain(missing)).toStrictEqual({
      ok: false,
      files: [],
      entries: 0,
      last_seq: 0,
      last_hash: GENESIS_HASH,
      first_broken: { file: missing, line: 1, reason: 'the log file is missing (deleted or moved away)' },
    });
    const empty = join(logs, 'empty.log');
    await writeFile(empty, '');
    expect(await verifyChain(empty)).toStrictEqual({ ok: true, files: [empty], entries: 0, last_seq: 0, last_hash: GENESIS_HASH });
    const garbage = join(logs, 'garbage.log');
    await writeFile(garbage, 'not json\n');
    await expect(verifyChain(garbage)).resolves.toMatchObject({ ok: false, first_broken: { line: 1, reason: 'not a valid audit entry' } });
  });

  it('past a damaged line, verify still finds the incident entry that explains it, and only one at or after the break', async () => {
    const head = chainOf([1, 2].map(event));
    const modified = (i: number): Draft => ({ ts: '2026-01-01T00:00:00.000Z', event: 'audit_file_modified', actor, details: { change: 'appended', bytes: i, saved_to: 'x' } });
    const before = chainOf([modified(1)], lastOf(head));
    const after = chainOf([modified(2)], { seq: 4, hash: 'd'.repeat(64) });
    const lines = [...head, ...before].map((entry) => JSON.stringify(entry));
    const path = join(logs, 'audit.log');
    // Line 4 is damage; the incident on line 5 (not verifiable, past the break) is what explains it.
    await writeFile(path, `${lines.join('\n')}\ngarbage\n${JSON.stringify(after[0])}\n`);
    const report = await verifyChain(path);
    expect(report.first_broken).toMatchObject({ file: path, line: 4, reason: 'not a valid audit entry', explained_by: { line: 5, event: 'audit_file_modified' } });
    expect(report.incidents?.map((incident) => incident.line)).toEqual([3, 5]);
    // Without the later incident, the earlier one (line 3, before the break) explains nothing.
    await writeFile(path, `${lines.join('\n')}\ngarbage\n`);
    const unexplained = await verifyChain(path);
    expect(unexplained.first_broken).toEqual({ file: path, line: 4, reason: 'not a valid audit entry' });
    // An incident in another file (a rotated one) explains nothing in this one.
    const rotatedPath = await write('audit.log.1', [...head, ...before]);
    await writeFile(path, `${JSON.stringify(chainOf([rotated('audit.log.1')], lastOf(before))[0])}\ngarbage\n`);
    const elsewhere = await verifyChain(path);
    expect(elsewhere).toMatchObject({ ok: false, files: [rotatedPath, path], first_broken: { file: path, line: 2 } });
    expect(elsewhere.first_broken).not.toHaveProperty('explained_by');
    // The first entry neither starting the chain nor anchoring: past that break too, incidents are found.
    const orphan = chainOf([event(9), modified(3)], { seq: 8, hash: 'c'.repeat(64) });
    await write('audit.log', orphan);
    await expect(verifyChain(path)).resolves.toMatchObject({ first_broken: { line: 1, explained_by: { line: 2 } } });
  });

  it("a kept copy that is gone, damaged or ends elsewhere is said so in the incident", async () => {
    const kept = chainOf([1, 2].map(event));
    const replaced = (previousFile: string): Draft => ({ ts: '2026-01-01T00:00:00.000Z', event: 'audit_file_replaced', actor, details: { previous_file: previousFile, found: 'differs' } });
    const path = await write('audit.log', [...kept, ...chainOf([replaced('kept.log'), event(4)], lastOf(kept))]);
    const incident = async () => (await verifyChain(path)).incidents?.[0];
    await expect(incident()).resolves.toMatchObject({ note: expect.stringMatching(/\(that copy is no longer there\)$/) });
    expect(await incident()).not.toHaveProperty('kept_copy');
    // A copy that verifies but ends on another entry than the one this continues.
    await write('kept.log', chainOf([1, 2, 3].map(event)));
    await expect(incident()).resolves.toMatchObject({ kept_copy: { ok: true, last_seq: 3, reaches_this_entry: false } });
    // A damaged copy reaches nothing, whatever it ends with.
    const damaged = [...kept];
    damaged[0] = { ...kept[0], details: { i: 99 } } as (typeof kept)[number];
    await write('kept.log', damaged);
    await expect(incident()).resolves.toMatchObject({ kept_copy: { ok: false, reaches_this_entry: false } });
    // Only a replaced file's entry points at a copy: a modified one naming a file gets none.
    const modified: Draft = { ts: '2026-01-01T00:00:00.000Z', event: 'audit_file_modified', actor, details: { change: 'truncated', previous_file: 'kept.log' } };
    await write('kept.log', kept);
    await write('audit.log', [...kept, ...chainOf([modified, event(4)], lastOf(kept))]);
    expect(await incident()).not.toHaveProperty('kept_copy');
  });

  it('the walk records the hash at a seq a checkpoint names: in the file, at a rotation anchor, and at the start of an empty log', async () => {
    const old = chainOf([1, 2, 3].map(event));
    const current = chainOf([rotated('audit.log.1'), event(5)], lastOf(old));
    const path = await write('audit.log', current);
    // The rotated file archived away: seq 3 is known only as the anchor's prev.
    await expect(walkChain(path, { hashAtSeq: 3 })).resolves.toMatchObject({ hashAt: { hash: lastOf(old).hash, file: path, line: 1 } });
    await expect(walkChain(path, { hashAtSeq: 5 })).resolves.toMatchObject({ hashAt: { hash: lastOf(current).hash, file: path, line: 2 } });
    expect(await walkChain(path, { hashAtSeq: 2 })).not.toHaveProperty('hashAt');
    expect(await walkChain(path, {})).not.toHaveProperty('hashAt');
    const oldPath = await write('audit.log.1', old);
    await expect(walkChain(path, { hashAtSeq: 2 })).resolves.toMatchObject({ hashAt: { hash: old[1]?.hash, file: oldPath, line: 2 } });
    const empty = join(logs, 'empty.log');
    await writeFile(empty, '');
    await expect(walkChain(empty, { hashAtSeq: 0 })).resolves.toMatchObject({ hashAt: { hash: GENESIS_HASH, file: empty, line: 1 } });
    expect(await walkChain(empty, { hashAtSeq: 1 })).not.toHaveProperty('hashAt');
    // Seq 0 of a chain that starts in the rotated file: the genesis hash its first entry links to, there.
    await expect(walkChain(path, { hashAtSeq: 0 })).resolves.toMatchObject({ hashAt: { hash: GENESIS_HASH, file: oldPath, line: 1 } });
  });
});
