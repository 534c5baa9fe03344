import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, AuditUnavailableError, verifyChain, type AuditEntry, type AuditSink } from '../../src/index.js';
import { readLastLines } from '../../src/audit/read-last-lines.js';

const system = { type: 'system', name: 'test' } as const;

describe('AuditLog', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-'));
    path = join(dir, 'logs', 'audit.log');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeEntries(count: number, log?: AuditLog): Promise<AuditLog> {
    const target = log ?? (await AuditLog.open(path));
    await Promise.all(Array.from({ length: count }, (_, i) => target.append('test_event', system, { i })));
    return target;
  }

  async function lines(file = path): Promise<string[]> {
    return (await readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
  }

  it('writes hash-chained JSON Lines, mode 0600 in a 0700 folder, starting from the genesis hash', async () => {
    const log = await writeEntries(3);
    const entries = (await lines()).map((l) => JSON.parse(l) as AuditEntry);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]?.prev).toBe('0'.repeat(64));
    expect(entries[1]?.prev).toBe(entries[0]?.hash);
    expect(entries[0]).toMatchObject({ event: 'test_event', actor: system, details: { i: 0 } });
    expect(new Date(entries[0]?.ts ?? '').toISOString()).toBe(entries[0]?.ts);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'logs'))).mode & 0o777).toBe(0o700);
    await expect(log.verify()).resolves.toMatchObject({ ok: true, entries: 3, last_seq: 3 });
    await log.close();
  });

  it('group commit: a thousand concurrent appends take a handful of writes, in call order', async () => {
    const log = await AuditLog.open(path);
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append('e', system, { i })));
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(log.batches).toBeLessThanOrEqual(3);
    expect((await lines()).map((l) => (JSON.parse(l) as AuditEntry).details.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await log.close();
  });

  it('without group commit, every entry is its own write', async () => {
    const log = await AuditLog.open(path, { groupCommit: false });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append('e', system, { i })));
    expect(log.batches).toBe(20);
    await log.close();
  });

  describe('tamper evidence', () => {
    beforeEach(async () => {
      await (await writeEntries(10)).close();
    });

    const tamper = async (change: (all: string[]) => string[]) => {
      await writeFile(path, `${change(await lines()).join('\n')}\n`);
      return verifyChain(path);
    };

    it('an edited entry is found by its hash', async () => {
      const report = await tamper((all) => all.map((l, i) => (i === 4 ? l.replace('"i":4', '"i":40') : l)));
      expect(report).toMatchObject({ ok: false, first_broken: { line: 5, seq: 5, reason: expect.stringMatching(/edited/) } });
    });

    it('a deleted entry is found', async () => {
      const report = await tamper((all) => all.filter((_, i) => i !== 3));
      expect(report).toMatchObject({ ok: false, first_broken: { line: 4, seq: 5 } });
    });

    it('an inserted entry is found', async () => {
      const report = await tamper((all) => [...all.slice(0, 6), all[2] ?? '', ...all.slice(6)]);
      expect(report).toMatchObject({ ok: false, first_broken: { line: 7 } });
    });

    it('two swapped entries are found', async () => {
      const report = await tamper((all) => {
        const copy = [...all];
        [copy[2], copy[3]] = [copy[3] ?? '', copy[2] ?? ''];
        return copy;
      });
      expect(report).toMatchObject({ ok: false, first_broken: { line: 3 } });
    });

    it('entries removed from the start are found', async () => {
      const report = await tamper((all) => all.slice(2));
      expect(report).toMatchObject({ ok: false, first_broken: { line: 1, reason: expect.stringMatching(/removed from the start/) } });
    });

    it('a rewritten hash alone is found (the next entry no longer links)', async () => {
      const report = await tamper((all) =>
        all.map((l, i) => (i === 4 ? l.replace(/"hash":"[0-9a-f]{64}"/, `"hash":"${'a'.repeat(64)}"`) : l)),
      );
      expect(report.ok).toBe(false);
      expect(report.first_broken?.line).toBe(5);
    });

    it('entries cut from the end are found by the live log', async () => {
      const log = await AuditLog.open(path);
      await log.append('e', system, {});
      await writeFile(path, `${(await lines()).slice(0, 8).join('\n')}\n`);
      const report = await log.verify();
      expect(report).toMatchObject({ ok: false, first_broken: { seq: 9, reason: expect.stringMatching(/missing/) } });
      await log.close();
    });
  });

  it('reopening continues the chain', async () => {
    await (await writeEntries(5)).close();
    const reopened = await AuditLog.open(path);
    const next = await reopened.append('after_restart', system, {});
    expect(next.seq).toBe(6);
    await expect(reopened.verify()).resolves.toMatchObject({ ok: true, entries: 6 });
    await reopened.close();
  });

  it('a torn last line is reported by verify, then cut off (and kept) when the log is reopened', async () => {
    await (await writeEntries(4)).close();
    await appendFile(path, '{"seq":5,"ts":"2026-11-25T00:00:00.000Z","event":"half');
    const report = await verifyChain(path);
    expect(report).toMatchObject({ ok: true, entries: 4, torn_tail: { line: 5 } });
    expect((await AuditLog.open(path).then((l) => l.tail(10).finally(() => l.close()))).map((e) => e.event)).toEqual([
      'test_event',
      'test_event',
      'test_event',
      'test_event',
      'audit_recovered',
    ]);
    const saved = (await readdir(join(dir, 'logs'))).find((f) => f.startsWith('audit.log.torn-'));
    expect(saved).toBeDefined();
    expect(await readFile(join(dir, 'logs', saved ?? ''), 'utf8')).toContain('"event":"half');
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: true, entries: 5 });
  });

  it('refuses to open a log whose last complete entry is damaged', async () => {
    await (await writeEntries(2)).close();
    await appendFile(path, 'garbage\n');
    await expect(AuditLog.open(path)).rejects.toThrow(/ends in a damaged entry/);
  });

  describe('rotation', () => {
    it('anchors the new file to the old one, so the chain verifies across files', async () => {
      const log = await writeEntries(5);
      const { rotatedTo } = await log.rotate();
      await log.append('after', system, {});
      const first = JSON.parse((await lines())[0] ?? '') as AuditEntry;
      const oldLast = JSON.parse((await lines(rotatedTo)).at(-1) ?? '') as AuditEntry;
      expect(first).toMatchObject({ event: 'log_rotated', seq: 6, prev: oldLast.hash, details: { previous_last_seq: 5 } });
      const report = await log.verify();
      expect(report).toMatchObject({ ok: true, entries: 7, last_seq: 7 });
      expect(report.files).toEqual([rotatedTo, path]);
      await log.close();
    });

    it('finds tampering in a rotated file, and reports an archived (moved away) one as the anchor', async () => {
      const log = await writeEntries(3);
      const { rotatedTo } = await log.rotate();
      await log.close();
      const old = await lines(rotatedTo);
      await writeFile(rotatedTo, `${old.map((l, i) => (i === 1 ? l.replace('"i":1', '"i":9') : l)).join('\n')}\n`);
      await expect(verifyChain(path)).resolves.toMatchObject({ ok: false, first_broken: { file: rotatedTo, line: 2 } });
      await rename(rotatedTo, join(dir, 'archived.log'));
      await expect(verifyChain(path)).resolves.toMatchObject({ ok: true, anchored_to: { file: expect.stringMatching(/^audit\.log\./) } });
    });

    it('appends racing a rotation land on one side of it, each exactly once, chain intact', async () => {
      const log = await AuditLog.open(path);
      const before = Array.from({ length: 200 }, (_, i) => log.append('e', system, { i }));
      const rotation = log.rotate();
      const after = Array.from({ length: 200 }, (_, i) => log.append('e', system, { i: 200 + i }));
      const [{ rotatedTo }] = await Promise.all([rotation, ...before, ...after]);
      const all = [...(await lines(rotatedTo)), ...(await lines())].map((l) => JSON.parse(l) as AuditEntry);
      expect(all.filter((e) => e.event === 'e').map((e) => e.details.i)).toEqual(Array.from({ length: 400 }, (_, i) => i));
      expect((await lines(rotatedTo)).length).toBe(200);
      await expect(log.verify()).resolves.toMatchObject({ ok: true, entries: 401 });
      await log.close();
    });
  });

  it('scrubs secrets before writing: they never reach the file', async () => {
    const log = await AuditLog.open(path);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    await log.append('login', system, {
      password: 'hunter2-password',
      nested: { refresh_token: 'refresh-secret-value', headers: { Authorization: 'Bearer abc-secret' }, list: [{ apiKey: 'sk-live-123' }] },
      note: jwt,
      tokenId: 'jti-stays-visible',
    });
    await log.close();
    const text = await readFile(path, 'utf8');
    for (const secret of ['hunter2-password', 'refresh-secret-value', 'abc-secret', 'sk-live-123', jwt]) expect(text).not.toContain(secret);
    expect(text).toContain('jti-stays-visible');
    expect(text).toContain('[REDACTED]');
  });

  it('tail returns the last entries, optionally of one event, oldest first', async () => {
    const log = await AuditLog.open(path);
    for (let i = 0; i < 30; i += 1) await log.append(i % 3 === 0 ? 'tool_call' : 'login', system, { i });
    expect((await log.tail(4)).map((e) => e.details.i)).toEqual([26, 27, 28, 29]);
    expect((await log.tail(3, { event: 'tool_call' })).map((e) => e.details.i)).toEqual([21, 24, 27]);
    expect(await log.tail(1000)).toHaveLength(30);
    await log.close();
  });

  it('tail of a 100k-entry log reads only the end of the file', async () => {
    const log = await AuditLog.open(path);
    const batch = 10_000;
    for (let start = 0; start < 100_000; start += batch) {
      await Promise.all(Array.from({ length: batch }, (_, k) => log.append('bulk', system, { i: start + k })));
    }
    const size = (await stat(path)).size;
    const { lines: last, bytesRead } = await readLastLines(path, 200);
    expect(last).toHaveLength(200);
    expect((JSON.parse(last.at(-1) ?? '') as AuditEntry).details.i).toBe(99_999);
    expect(bytesRead).toBeLessThanOrEqual(128 * 1024);
    expect(size).toBeGreaterThan(10 * 1024 * 1024);
    expect((await log.tail(200)).map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 99_801 + i));
    await log.close();
  });

  it('a log that cannot write refuses the entry and every later one', async () => {
    // Through a link, so the key and checkpoint the log keeps beside itself land in the test's folder.
    await mkdir(join(dir, 'logs'), { recursive: true });
    await symlink('/dev/full', path);
    const log = await AuditLog.open(path);
    await expect(log.append('e', system, {})).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(log.append('e', system, {})).rejects.toMatchObject({ status: 503, code: 'audit_unavailable' });
    expect(log.failure).toBeDefined();
    await log.close();
  });

  it('ships durable entries to sinks; a failing sink does not affect the log', async () => {
    const received: AuditEntry[] = [];
    const good: AuditSink = { write: (entries) => void received.push(...entries) };
    const bad: AuditSink = {
      write: () => {
        throw new Error('sink down');
      },
    };
    const log = await AuditLog.open(path, { sinks: [bad, good] });
    await log.append('a', system, {});
    await log.append('b', system, {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(received.map((e) => e.event)).toEqual(['a', 'b']);
    await log.close();
  });
});
