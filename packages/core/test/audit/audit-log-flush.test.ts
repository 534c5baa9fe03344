import { renameSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, AuditUnavailableError, type AuditEntry, type Logger } from '../../src/index.js';
import { recordingLogger } from '../support/recording-logger.js';
import { descriptorsOf } from '../support/open-descriptors.js';

// The writer's flush, rotation and live verify (issue 24, survivors of audit-log.ts): a write whose
// after-check fails is refused and goes nowhere, a rotation queued behind entries, a rotation that
// cannot rename, the live report of entries cut from the end while the checkpoint lags, what the log
// says when its file is replaced, and the descriptors it leaves (none).

const system = { type: 'system', name: 'test' } as const;

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-flush-'));
  path = join(dir, 'audit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

async function fileEvents(file = path): Promise<string[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as AuditEntry).event);
}

describe('a write whose check after the fsync fails', () => {
  it('is refused: not counted durable, not sent to the sinks, not checkpointed, and the log has failed', async () => {
    const logger = recordingLogger();
    const shipped: number[] = [];
    let broken = false;
    const log = await AuditLog.open(path, {
      logger,
      groupCommit: false,
      sinks: [
        {
          write: (entries: readonly AuditEntry[]) => {
            shipped.push(...entries.map((entry) => entry.seq));
            if (broken) return;
            broken = true;
            // Runs while the second entry's write is under way (its batch was taken before the sinks ran):
            // the path becomes a symlink to itself, so the check after that write cannot look at it.
            renameSync(path, `${path}.away`);
            symlinkSync('audit.log', path);
          },
        },
      ],
    });
    const first = log.append('one', system, {});
    const second = log.append('two', system, {}).catch((error: unknown) => error);
    await expect(first).resolves.toMatchObject({ seq: 1 });
    const refused = await second;
    expect(refused).toBeInstanceOf(AuditUnavailableError);
    expect((log.failure as NodeJS.ErrnoException).code).toBe('ELOOP');
    expect((refused as AuditUnavailableError).cause).toBe(log.failure);
    expect(logger.lines).toContainEqual(['error', 'audit log write failed; refusing further entries', { path, error: log.failure }]);
    await settle();
    expect(log.durableSeq).toBe(1);
    expect(log.batches).toBe(1);
    expect(shipped).toEqual([1]);
    await log.close();
    expect(log.lastCheckpoint?.seq).toBe(1);
    // The refused entry is in the file it was written to (it is not lost), just never acknowledged.
    expect(await fileEvents(`${path}.away`)).toEqual(['one', 'two']);
  });
});

describe('rotation', () => {
  it('queued behind an entry whose write has not started: the entry goes to the old file, the anchor starts the new one', async () => {
    const log = await AuditLog.open(path);
    await log.append('before', system, {});
    // The first append starts the flush; the rotation and its anchor join the queue behind the second.
    const pending = log.append('queued', system, {});
    const rotation = log.rotate();
    const [queued, { rotatedTo }] = await Promise.all([pending, rotation]);
    await log.append('after', system, {});
    await log.close();
    expect(queued.seq).toBe(2);
    expect(await fileEvents(rotatedTo)).toEqual(['before', 'queued']);
    expect(await fileEvents()).toEqual(['log_rotated', 'after']);
    expect((await log.tail(1, { event: 'log_rotated' }))[0]?.details).toMatchObject({ previous_last_seq: 2 });
  });

  it('leaves no descriptor of the folder open (it is opened to sync the rename)', async () => {
    const log = await AuditLog.open(path);
    await log.append('a', system, {});
    await log.rotate();
    await log.rotate();
    expect(descriptorsOf(dir)).toBe(0);
    await log.close();
  });

  it('that cannot move the file aside fails the log: the rotation and its anchor are refused, and so is everything after', async () => {
    const logger = recordingLogger();
    const now = new Date('2030-01-02T03:04:05.678Z');
    const log = await AuditLog.open(path, { logger, now: () => now });
    await log.append('a', system, {});
    // Where the file would be moved to is a folder with something in it: the rename fails.
    const target = `${path}.2030-01-02T03-04-05-678Z`;
    await mkdir(target);
    await writeFile(join(target, 'x'), 'x');
    const refused = await log.rotate().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuditUnavailableError);
    expect(['ENOTEMPTY', 'EISDIR', 'EEXIST']).toContain((log.failure as NodeJS.ErrnoException).code);
    expect((refused as AuditUnavailableError).cause).toBe(log.failure);
    expect(logger.lines).toContainEqual(['error', 'audit log write failed; refusing further entries', { path, error: log.failure }]);
    await expect(log.append('b', system, {})).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(log.durableSeq).toBe(1);
    await log.close();
    expect(await fileEvents()).toEqual(['a']);
  });
});

describe('verify of the live log, when its checkpoint lags behind its writes', () => {
  /** A log of `count` entries whose checkpoint stopped at seq 2: its temp file's name is taken by a folder. */
  async function laggingLog(count: number): Promise<AuditLog> {
    const log = await AuditLog.open(path, { logger: recordingLogger() });
    await log.append('e', system, { i: 1 });
    await log.append('e', system, { i: 2 });
    await log.verify(); // waits for the checkpoint of seq 2
    await mkdir(`${path}.checkpoint.json.tmp`);
    for (let i = 3; i <= count; i += 1) await log.append('e', system, { i });
    await log.verify();
    expect(log.lastCheckpoint?.seq).toBe(2);
    return log;
  }

  it('entries cut from the end past the checkpoint: reported as written by this log and cut, from the first missing', async () => {
    const log = await laggingLog(5);
    const text = await readFile(path, 'utf8');
    const kept = text.split('\n').slice(0, 3).join('\n');
    await truncate(path, Buffer.byteLength(`${kept}\n`));
    const report = await log.verify();
    expect(report).toMatchObject({ ok: false, entries: 3, last_seq: 3 });
    expect(report.first_broken).toEqual({ file: path, line: 4, seq: 4, reason: 'entries 4..5 are missing: written by this log, then cut from the end' });
    await log.close();
  });

  it('one entry cut: named on its own', async () => {
    const log = await laggingLog(4);
    const text = await readFile(path, 'utf8');
    await truncate(path, Buffer.byteLength(`${text.split('\n').slice(0, 3).join('\n')}\n`));
    const report = await log.verify();
    expect(report.first_broken).toEqual({ file: path, line: 4, seq: 4, reason: 'entry 4 is missing: written by this log, then cut from the end' });
    await log.close();
  });

  it('nothing cut: ok, though the checkpoint lags', async () => {
    const log = await laggingLog(4);
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, last_seq: 4 });
    expect(report.first_broken).toBeUndefined();
    await log.close();
  });
});

describe('opening and closing', () => {
  it('a log with entries but neither checkpoint nor key (it predates checkpoints) records that its checkpoint is missing', async () => {
    const first = await AuditLog.open(path);
    await first.append('a', system, {});
    await first.close();
    for (const name of await readdir(dir)) if (name !== 'audit.log') await rm(join(dir, name));
    const log = await AuditLog.open(path);
    const [missing] = await log.tail(1);
    await log.close();
    expect(missing).toMatchObject({ seq: 2, event: 'audit_checkpoint_missing', details: { found_seq: 1 } });
  });

  it('close writes what is still pending (here twenty batches) before closing the file', async () => {
    const log = await AuditLog.open(path, { groupCommit: false });
    // The first checkpoint written first: close() then has no checkpoint write to wait on, only the appends.
    await log.verify();
    const pending = Array.from({ length: 20 }, (_, i) => log.append(`e${i}`, system, {}));
    await log.close();
    expect((await Promise.all(pending)).map((entry) => entry.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(log.failure).toBeUndefined();
    expect(await fileEvents()).toHaveLength(20);
  });

  it('a rotation refused because the log has failed carries the failure as its cause', async () => {
    await symlink('/dev/full', path);
    const log = await AuditLog.open(path);
    await expect(log.append('a', system, {})).rejects.toBeInstanceOf(AuditUnavailableError);
    const refused = await log.rotate().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuditUnavailableError);
    expect((refused as AuditUnavailableError).cause).toBe(log.failure);
    await log.close();
  });
});

describe('what the log says', () => {
  it('when its file is replaced: an error line naming the path and the entry that records it', async () => {
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    await log.append('a', system, {});
    await writeFile(join(dir, 'copy'), await readFile(path));
    await rename(join(dir, 'copy'), path);
    await log.append('b', system, {});
    await log.close();
    const line = logger.lines.find(([level]) => level === 'error');
    expect(line?.[1]).toBe('the audit file was changed by something else; recorded it and carried on');
    expect(line?.[2]).toMatchObject({ path, event: 'audit_file_replaced', found: 'identical' });
    expect(await fileEvents()).toEqual(['a', 'audit_file_replaced', 'b']);
  });

  it('with no sinks given: nothing but the writes (no sink is called, nothing fails)', async () => {
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    await log.append('a', system, {});
    await log.verify();
    await settle();
    await log.close();
    expect(logger.lines).toEqual([]);
  });

  it('when opening fails after the file was opened (here the logger throws while reporting a torn line): open rejects and the file is closed', async () => {
    const first = await AuditLog.open(path);
    await first.append('a', system, {});
    await first.close();
    await writeFile(path, `${await readFile(path, 'utf8')}{"seq":2,"to`);
    const failure = new Error('logger down');
    const logger: Logger = {
      info: () => undefined,
      warn: () => {
        throw failure;
      },
      error: () => undefined,
    };
    await expect(AuditLog.open(path, { logger })).rejects.toBe(failure);
    expect(descriptorsOf(path)).toBe(0);
  });
});

describe('tail', () => {
  it('with an event filter: an entry of another event that only mentions it in its details is not returned', async () => {
    const log = await AuditLog.open(path);
    await log.append('wanted', system, { n: 1 });
    await log.append('other', system, { event: 'wanted' });
    const tail = await log.tail(5, { event: 'wanted' });
    await log.close();
    expect(tail.map((entry) => entry.details)).toEqual([{ n: 1 }]);
  });

  it('a path that is a folder is an error, not an empty tail', async () => {
    const log = await AuditLog.open(path);
    await log.append('a', system, {});
    await rename(path, `${path}.away`);
    await mkdir(path);
    const failed = await log.tail(5).catch((error: unknown) => error);
    expect((failed as NodeJS.ErrnoException).code).toBe('EISDIR');
    await rm(path, { recursive: true });
    await rename(`${path}.away`, path);
    await log.close();
    expect(await readdir(dir)).toContain('audit.log');
  });
});
