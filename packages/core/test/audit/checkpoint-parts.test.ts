import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointWriter } from '../../src/audit/checkpoint-writer.js';
import {
  checkpointSignatureProblem,
  loadAuditKeys,
  parsePublicKey,
  readCheckpoint,
  signCheckpoint,
  type AuditCheckpoint,
  type AuditKeys,
} from '../../src/audit/checkpoint.js';
import type { Logger } from '../../src/logging/logger.js';

// The checkpoint's parts on their own (issue 24, mutation testing): which keys are accepted, what the
// signature binds, what a checkpoint file must look like to be read, and how the writer behaves when a
// write or a sink fails.
const HASH = 'a'.repeat(64);
const now = new Date('2026-01-01T00:00:00.000Z');

let dir: string;
let log: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checkpoint-parts-'));
  log = join(dir, 'audit.log');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recordingLogger(): Logger & { errors: Array<{ message: string; fields: unknown }> } {
  const errors: Array<{ message: string; fields: unknown }> = [];
  return { errors, info() {}, warn() {}, error: (message, fields) => errors.push({ message, fields }) };
}

describe('audit keys', () => {
  it('generates a key beside the log on first use (0600), publishes its public half (0644), and reloads the same one', async () => {
    const first = await loadAuditKeys(log);
    expect(first.knownBefore).toBe(false);
    expect(first.keys.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect((await stat(`${log}.key.pem`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${log}.pub.pem`)).mode & 0o777).toBe(0o644);
    expect(await readFile(`${log}.pub.pem`, 'utf8')).toBe(first.keys.publicKeyPem);
    const again = await loadAuditKeys(log);
    expect(again.knownBefore).toBe(true);
    expect(again.keys.keyId).toBe(first.keys.keyId);
  });

  it('puts back a public key file that was deleted or altered', async () => {
    const { keys } = await loadAuditKeys(log);
    await rm(`${log}.pub.pem`);
    await loadAuditKeys(log);
    expect(await readFile(`${log}.pub.pem`, 'utf8')).toBe(keys.publicKeyPem);
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await writeFile(`${log}.pub.pem`, other);
    await loadAuditKeys(log);
    expect(await readFile(`${log}.pub.pem`, 'utf8')).toBe(keys.publicKeyPem);
  });

  it('leaves an intact public key file alone', async () => {
    await loadAuditKeys(log);
    await utimes(`${log}.pub.pem`, 0, 0);
    await loadAuditKeys(log);
    expect((await stat(`${log}.pub.pem`)).mtimeMs).toBe(0);
  });

  it('two first openings at once never leave one of them signing with a key that is not on disk', async () => {
    const opened = await Promise.allSettled([loadAuditKeys(log), loadAuditKeys(log)]);
    const onDisk = (await loadAuditKeys(log)).keys.keyId;
    const fulfilled = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value.keys.keyId] : []));
    expect(fulfilled.length).toBeGreaterThan(0);
    for (const keyId of fulfilled) expect(keyId).toBe(onDisk);
  });

  it("refuses a key file that is not an Ed25519 private key, saying which file", async () => {
    await writeFile(`${log}.key.pem`, 'not a key');
    await expect(loadAuditKeys(log)).rejects.toThrow(new RegExp(`^${log}\\.key\\.pem is not an Ed25519 private key \\(.+\\); restore it or move the log aside$`));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(`${log}.key.pem`, ec);
    await expect(loadAuditKeys(log)).rejects.toThrow(`${log}.key.pem is not an Ed25519 private key (${log}.key.pem must be an Ed25519 key, got ec)`);
    expect(await readFile(`${log}.key.pem`, 'utf8')).toBe(ec);
  });

  it("an embedder's key (object or PEM) is used as given, and nothing is written beside the log", async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const fromObject = await loadAuditKeys(log, privateKey);
    const fromPem = await loadAuditKeys(log, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    expect(fromObject.knownBefore).toBe(false);
    expect(fromPem.keys.keyId).toBe(fromObject.keys.keyId);
    await expect(stat(`${log}.key.pem`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${log}.pub.pem`)).rejects.toMatchObject({ code: 'ENOENT' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await expect(loadAuditKeys(log, rsa)).rejects.toThrow('signingKey must be an Ed25519 key, got rsa');
  });

  it('parsePublicKey takes SPKI PEM, a private key PEM or object (its public half), or a public key object; nothing but Ed25519', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const input of [pem, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), privateKey, publicKey]) {
      const parsed = parsePublicKey(input);
      expect(parsed.type).toBe('public');
      expect(parsed.export({ type: 'spki', format: 'pem' })).toBe(pem);
    }
    expect(() => parsePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toThrow('the audit public key must be an Ed25519 key, got ec');
    expect(() => parsePublicKey(createSecretKey(Buffer.alloc(32)))).toThrow('the audit public key must be an Ed25519 key, got secret');
  });
});

describe('signed checkpoints', () => {
  let keys: AuditKeys;
  beforeEach(async () => {
    keys = (await loadAuditKeys(log)).keys;
  });

  it('a signature binds every field: changing any one fails with "altered"', () => {
    const checkpoint = signCheckpoint(keys, { seq: 7, hash: HASH }, now);
    expect(checkpoint).toMatchObject({ type: 'agent-gateway.audit-checkpoint', version: 1, seq: 7, hash: HASH, ts: now.toISOString(), key_id: keys.keyId });
    expect(checkpointSignatureProblem(checkpoint, keys.publicKey)).toBeUndefined();
    const altered: Array<Partial<AuditCheckpoint>> = [{ seq: 8 }, { hash: 'b'.repeat(64) }, { ts: '2027-01-01T00:00:00.000Z' }, { version: 2 as 1 }, { type: 'other' as AuditCheckpoint['type'] }];
    for (const change of altered) {
      expect(checkpointSignatureProblem({ ...checkpoint, ...change }, keys.publicKey)).toBe('the checkpoint signature does not verify (the checkpoint was altered)');
    }
  });

  it('a checkpoint from another key names both keys', async () => {
    const other = (await loadAuditKeys(join(dir, 'other.log'))).keys;
    const checkpoint = signCheckpoint(other, { seq: 1, hash: HASH }, now);
    expect(checkpointSignatureProblem(checkpoint, keys.publicKey)).toBe(
      `the checkpoint names key ${other.keyId}, not the trusted key ${keys.keyId}, and its signature does not verify with the trusted key (it was replaced or re-signed)`,
    );
    expect(checkpointSignatureProblem({ ...checkpoint, key_id: keys.keyId }, keys.publicKey)).toBe('the checkpoint signature does not verify (the checkpoint was altered)');
  });

  it('reads a checkpoint file only when it is exactly one: missing, unreadable, not JSON and not a checkpoint are told apart', async () => {
    const path = join(dir, 'cp.json');
    const good = signCheckpoint(keys, { seq: 3, hash: HASH }, now);
    expect(await readCheckpoint(path)).toEqual({ kind: 'missing' });
    await mkdir(path);
    expect(await readCheckpoint(path)).toEqual({ kind: 'unreadable', reason: 'cannot read the checkpoint: EISDIR' });
    await rm(path, { recursive: true });
    await writeFile(path, JSON.stringify(good));
    expect(await readCheckpoint(path)).toEqual({ kind: 'ok', checkpoint: good });
    await writeFile(path, '{');
    expect(await readCheckpoint(path)).toEqual({ kind: 'unreadable', reason: 'the checkpoint is not valid JSON' });
    const bad: Array<Record<string, unknown>> = [
      { type: 'something-else' },
      { version: 2 },
      { seq: -1 },
      { seq: 1.5 },
      { hash: 'A'.repeat(64) },
      { hash: 'a'.repeat(63) },
      { hash: `x${'a'.repeat(64)}` },
      { hash: `${'a'.repeat(64)}x` },
      { key_id: 'a'.repeat(31) },
      { key_id: 'A'.repeat(32) },
      { key_id: `x${'a'.repeat(32)}` },
      { key_id: `${'a'.repeat(32)}x` },
      { signature: `${good.signature}=` },
      { signature: `+${good.signature}` },
      { signature: '' },
      { ts: 1 },
      { extra: true },
    ];
    for (const change of bad) {
      await writeFile(path, JSON.stringify({ ...good, ...change }));
      expect(await readCheckpoint(path), JSON.stringify(change)).toEqual({ kind: 'unreadable', reason: 'the checkpoint is not an audit checkpoint' });
    }
  });
});

describe('CheckpointWriter', () => {
  let keys: AuditKeys;
  beforeEach(async () => {
    keys = (await loadAuditKeys(log)).keys;
  });

  it('writes the latest head asked for (0600), skipping heads asked for while a write runs, and ships each written one to every sink', async () => {
    const shipped: number[][] = [[], []];
    const path = join(dir, 'audit.log.checkpoint.json');
    const writer = new CheckpointWriter(path, keys, { now: () => now, logger: recordingLogger(), sinks: [{ write: (c) => void shipped[0]?.push(c.seq) }] });
    writer.addSink({ write: async (c) => void shipped[1]?.push(c.seq) });
    expect(writer.last).toBeUndefined();
    writer.update({ seq: 1, hash: HASH });
    writer.update({ seq: 2, hash: HASH });
    writer.update({ seq: 3, hash: HASH });
    await writer.idle();
    const written = JSON.parse(await readFile(path, 'utf8')) as AuditCheckpoint;
    expect(written).toEqual(signCheckpoint(keys, { seq: 3, hash: HASH }, now));
    expect(writer.last).toEqual(written);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(stat(`${path}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    await new Promise((r) => setTimeout(r, 0));
    expect(shipped[0]).toEqual([1, 3]);
    expect(shipped[1]).toEqual([1, 3]);
  });

  it('the head already written asked for again is not written again, and later heads still are', async () => {
    // It used to leave a finished run in place: no later head was ever written, and idle() spun forever.
    const shipped: number[] = [];
    let fourth: () => void = () => undefined;
    const gotFourth = new Promise<void>((resolve) => (fourth = resolve));
    const writer = new CheckpointWriter(join(dir, 'cp.json'), keys, {
      now: () => now,
      logger: recordingLogger(),
      sinks: [
        {
          write: (c) => {
            shipped.push(c.seq);
            if (c.seq === 4) fourth();
          },
        },
      ],
    });
    writer.update({ seq: 3, hash: HASH });
    await writer.idle();
    writer.update({ seq: 3, hash: HASH });
    writer.update({ seq: 4, hash: HASH });
    await gotFourth;
    await writer.idle();
    expect(shipped).toEqual([3, 4]);
    expect(writer.last?.seq).toBe(4);
  });

  it('one write at a time: a burst of heads never has two writes racing on the temp file', async () => {
    const logger = recordingLogger();
    const shipped: number[] = [];
    const writer = new CheckpointWriter(join(dir, 'cp.json'), keys, { now: () => now, logger, sinks: [{ write: (c) => void shipped.push(c.seq) }] });
    for (let seq = 1; seq <= 20; seq += 1) writer.update({ seq, hash: HASH });
    await writer.idle();
    await new Promise((r) => setTimeout(r, 0));
    expect(logger.errors).toEqual([]);
    expect(shipped).toEqual([1, 20]);
    expect(writer.last?.seq).toBe(20);
  });

  it('a failed write is logged and the next update tries again', async () => {
    const logger = recordingLogger();
    const folder = join(dir, 'missing');
    const path = join(folder, 'cp.json');
    const writer = new CheckpointWriter(path, keys, { now: () => now, logger, sinks: [] });
    writer.update({ seq: 1, hash: HASH });
    await writer.idle();
    expect(logger.errors).toMatchObject([{ message: 'could not write the audit checkpoint', fields: { path, error: { code: 'ENOENT' } } }]);
    expect(writer.last).toBeUndefined();
    await mkdir(folder);
    writer.update({ seq: 2, hash: HASH });
    await writer.idle();
    expect(writer.last?.seq).toBe(2);
    expect((JSON.parse(await readFile(path, 'utf8')) as AuditCheckpoint).seq).toBe(2);
  });

  it('a sink that throws or rejects is logged; the file and the other sinks still get the checkpoint', async () => {
    const logger = recordingLogger();
    const got: number[] = [];
    const path = join(dir, 'cp.json');
    const writer = new CheckpointWriter(path, keys, {
      now: () => now,
      logger,
      sinks: [
        {
          write: () => {
            throw new Error('sink down');
          },
        },
        { write: () => Promise.reject(new Error('sink refused')) },
        { write: (c) => void got.push(c.seq) },
      ],
    });
    writer.update({ seq: 4, hash: HASH });
    await writer.idle();
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([4]);
    expect(writer.last?.seq).toBe(4);
    expect(logger.errors.map((e) => [e.message, (e.fields as { error: Error }).error.message])).toEqual([
      ['audit checkpoint sink failed', 'sink down'],
      ['audit checkpoint sink failed', 'sink refused'],
    ]);
  });
});
