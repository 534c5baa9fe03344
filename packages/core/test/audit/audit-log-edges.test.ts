import { appendFile, mkdir, mkdtemp, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, AuditUnavailableError, type AuditEntry } from '../../src/index.js';
import type { AuditCheckpoint } from '../../src/audit/checkpoint.js';
import { recordingLogger } from '../support/recording-logger.js';

// The audit writer's edges (issue 24: the survivors of audit-log.ts): what it logs and records when it
// opens a log cut by a crash or without its checkpoint, its accessors and sinks, the options it takes,
// how it refuses once closed or failed, and its tail while the file is away or damaged.

const system = { type: 'system', name: 'test' } as const;
const auditActor = { type: 'system', name: 'audit' };

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-edges-'));
  path = join(dir, 'audit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function logWith(count: number): Promise<void> {
  const log = await AuditLog.open(path);
  for (let i = 0; i < count; i += 1) await log.append('e', system, { i });
  await log.close();
}

describe('opening a log', () => {
  it('cut by a crash: warns with what it cut and where it kept it, and records it as the audit system', async () => {
    await logWith(2);
    await appendFile(path, '{"seq":3,"half');
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    const torn = (await readdir(dir)).find((name) => name.startsWith('audit.log.torn-'));
    expect(logger.lines).toContainEqual(['warn', 'audit log ended in an incomplete entry from a crash; cut it off', { path, bytes: 14, saved_to: join(dir, torn ?? '') }]);
    const [recovered] = await log.tail(1);
    expect(recovered).toMatchObject({ event: 'audit_recovered', actor: auditActor, details: { discarded_bytes: 14, saved_to: torn } });
    await log.close();
  });

  it('with entries but no checkpoint: warns and records what it found, as the audit system', async () => {
    await logWith(3);
    await unlink(`${path}.checkpoint.json`);
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    expect(logger.lines).toContainEqual(['warn', 'audit log has no signed checkpoint; starting one', { path, seq: 3 }]);
    const [missing] = await log.tail(1);
    expect(missing?.event).toBe('audit_checkpoint_missing');
    expect(missing?.actor).toEqual(auditActor);
    expect(missing?.details).toMatchObject({ found_seq: 3 });
    expect(missing?.details.found_hash).toMatch(/^[0-9a-f]{64}$/);
    await log.close();
  });

  it('empty, but with its key already there and no checkpoint: the checkpoint was deleted, and that is recorded too', async () => {
    const first = await AuditLog.open(path);
    await first.close();
    await writeFile(path, '');
    await rm(`${path}.checkpoint.json`, { force: true });
    const log = await AuditLog.open(path);
    expect((await log.tail(5)).map((entry) => entry.event)).toEqual(['audit_checkpoint_missing']);
    await log.close();
  });

  it('new, with nothing beside it: no incident', async () => {
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    expect(await log.tail(5)).toEqual([]);
    expect(logger.lines).toEqual([]);
    await log.close();
  });
});

describe('accessors, options and sinks', () => {
  it('durableSeq, batches, failure, checkpointPath, lastCheckpoint and publicKey say what they name', async () => {
    const log = await AuditLog.open(path, { groupCommit: false });
    expect(log.durableSeq).toBe(0);
    await log.append('a', system, {});
    await log.append('b', system, {});
    expect(log.durableSeq).toBe(2);
    expect(log.batches).toBe(2);
    expect(log.failure).toBeUndefined();
    expect(log.checkpointPath).toBe(`${path}.checkpoint.json`);
    await log.verify(); // waits for the checkpoint of the head
    expect(log.lastCheckpoint).toMatchObject({ seq: 2 });
    expect(log.publicKey()).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await log.close();
  });

  it('sinks given when opening and added later get the durable entries; checkpoint sinks get the checkpoints', async () => {
    const opened: string[] = [];
    const added: string[] = [];
    const checkpoints: AuditCheckpoint[] = [];
    const log = await AuditLog.open(path, { sinks: [{ write: (entries: readonly AuditEntry[]) => void opened.push(...entries.map((e) => e.event)) }] });
    log.addSink({ write: (entries) => void added.push(...entries.map((e) => e.event)) });
    log.addCheckpointSink({ write: (checkpoint) => void checkpoints.push(checkpoint) });
    await log.append('a', system, {});
    await log.verify();
    await new Promise((resolve) => setImmediate(resolve));
    expect(opened).toEqual(['a']);
    expect(added).toEqual(['a']);
    expect(checkpoints.at(-1)).toMatchObject({ seq: 1 });
    await log.close();
  });

  it('a failing sink is logged and the log goes on', async () => {
    const logger = recordingLogger();
    const failure = new Error('sink down');
    const log = await AuditLog.open(path, { logger, sinks: [{ write: () => Promise.reject(failure) }] });
    await log.append('a', system, {});
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logger.lines).toContainEqual(['error', 'audit sink failed', { error: failure }]);
    await expect(log.append('b', system, {})).resolves.toMatchObject({ seq: 2 });
    await log.close();
  });

  it('redact sees the details before they are written; the clock stamps each entry', async () => {
    const log = await AuditLog.open(path, {
      redact: (details) => ({ ...details, card: '****' }),
      now: () => new Date('2030-01-02T03:04:05.000Z'),
    });
    const entry = await log.append('pay', system, { card: '4111111111111111' });
    expect(entry).toMatchObject({ ts: '2030-01-02T03:04:05.000Z', details: { card: '****' } });
    await log.close();
  });
});

describe('refusals', () => {
  it('once closed: appends and rotations are refused as audit_unavailable, saying it is closed', async () => {
    const log = await AuditLog.open(path);
    await log.append('a', system, {});
    await log.close();
    await log.close(); // a second close is a no-op
    const refused = await log.append('b', system, {}).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuditUnavailableError);
    expect(((refused as AuditUnavailableError).cause as Error).message).toBe('audit log closed');
    await expect(log.rotate()).rejects.toBeInstanceOf(AuditUnavailableError);
    // Refused up front: nothing was tried on the closed file, so the log has not failed.
    expect(log.failure).toBeUndefined();
  });

  it('once failed: every append and rotation is refused with the failure as the cause, and the failure is logged', async () => {
    await symlink('/dev/full', path);
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    await expect(log.append('a', system, {})).rejects.toBeInstanceOf(AuditUnavailableError);
    const failure = log.failure;
    expect(failure).toBeDefined();
    expect(logger.lines).toContainEqual(['error', 'audit log write failed; refusing further entries', { path, error: failure }]);
    const refused = await log.append('b', system, {}).catch((error: unknown) => error);
    expect((refused as AuditUnavailableError).cause).toBe(failure);
    await expect(log.rotate()).rejects.toBeInstanceOf(AuditUnavailableError);
    await log.close();
  });

  it('when the file cannot even be looked at before a write, the write is refused and the log has failed', async () => {
    const folder = join(dir, 'logs');
    await mkdir(folder);
    const inside = join(folder, 'audit.log');
    const log = await AuditLog.open(inside);
    await log.append('a', system, {});
    // The folder becomes a file: looking up the log's path now fails with ENOTDIR, not ENOENT.
    await rename(folder, join(dir, 'moved'));
    await writeFile(folder, 'not a folder');
    await expect(log.append('b', system, {})).rejects.toBeInstanceOf(AuditUnavailableError);
    expect((log.failure as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    await log.close();
  });
});

describe('tail', () => {
  it('is empty while the file is away (between a rotation rename and the new file)', async () => {
    const log = await AuditLog.open(path);
    await log.append('a', system, {});
    await rename(path, `${path}.away`);
    expect(await log.tail(5)).toEqual([]);
    await rename(`${path}.away`, path);
    await log.close();
  });

  it('skips a damaged line with a warning and returns the rest', async () => {
    await logWith(2);
    const logger = recordingLogger();
    const log = await AuditLog.open(path, { logger });
    await appendFile(path, 'not json\n');
    expect((await log.tail(5)).map((entry) => entry.details.i)).toEqual([0, 1]);
    expect(logger.lines).toContainEqual(['warn', 'skipped a damaged audit line while reading the tail', { path }]);
    await log.close();
  });
});
