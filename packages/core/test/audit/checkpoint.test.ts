import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, canonicalJson, verifyAuditLog, verifyChain, type AuditCheckpoint, type AuditEntry } from '../../src/index.js';
import { entryBody, hashBody } from '../../src/audit/audit-entry.js';

// Regression for issue 14 (8): deleting the last lines of a stopped log still verified, since the
// chain alone cannot show what is missing after its last entry. A signed checkpoint of the head can.
const system = { type: 'system', name: 'test' } as const;

describe('the signed checkpoint of the head', () => {
  let dir: string;
  let path: string;
  let publicKey: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-checkpoint-'));
    path = join(dir, 'audit.log');
    const log = await AuditLog.open(path);
    for (let i = 0; i < 10; i += 1) await log.append('e', system, { i });
    publicKey = log.publicKey();
    await log.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async (): Promise<string[]> => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
  const rewrite = async (all: string[]): Promise<void> => writeFile(path, `${all.join('\n')}\n`);
  const checkpoint = async (): Promise<AuditCheckpoint> => JSON.parse(await readFile(`${path}.checkpoint.json`, 'utf8')) as AuditCheckpoint;

  it('is kept beside the log, signed with a key kept beside it (0600) whose public half is published', async () => {
    expect(await checkpoint()).toMatchObject({ type: 'agent-gateway.audit-checkpoint', seq: 10, hash: JSON.parse((await lines())[9] ?? '').hash });
    expect((await stat(`${path}.key.pem`)).mode & 0o777).toBe(0o600);
    expect(await readFile(`${path}.pub.pem`, 'utf8')).toBe(publicKey);
    expect(publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await expect(verifyAuditLog(path, { publicKey })).resolves.toMatchObject({ ok: true, last_seq: 10, checkpoint: { seq: 10, signature_valid: true } });
  });

  it('lines deleted from the end of a stopped log are found, though the chain alone still verifies', async () => {
    await rewrite((await lines()).slice(0, 7));
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: true, last_seq: 7 });
    const report = await verifyAuditLog(path, { publicKey });
    expect(report).toMatchObject({ ok: false, first_broken: { file: path, line: 8, seq: 8, reason: expect.stringMatching(/entries 8\.\.10 are missing \(cut from the end\)/) } });
    // Nor will the gateway start on it and sign a new checkpoint over the damage.
    await expect(AuditLog.open(path)).rejects.toThrow(/ends at seq 7, but its signed checkpoint says it reached seq 10/);
  });

  it('a checkpoint edited to match the cut log fails its signature', async () => {
    await rewrite((await lines()).slice(0, 7));
    const entries = (await lines()).map((l) => JSON.parse(l) as AuditEntry);
    await writeFile(`${path}.checkpoint.json`, JSON.stringify({ ...(await checkpoint()), seq: 7, hash: entries[6]?.hash }));
    const report = await verifyAuditLog(path, { publicKey });
    expect(report).toMatchObject({ ok: false, checkpoint: { signature_valid: false }, first_broken: { reason: expect.stringMatching(/signature does not verify/) } });
    await expect(AuditLog.open(path)).rejects.toThrow(/signature does not verify/);
  });

  it('a new key and checkpoint put beside the cut log fail against the published key', async () => {
    await rewrite((await lines()).slice(0, 7));
    await unlink(`${path}.key.pem`);
    await unlink(`${path}.checkpoint.json`);
    // The attacker's own log on the cut file: a fresh key, a checkpoint signed with it.
    await (await AuditLog.open(path)).close();
    const report = await verifyAuditLog(path, { publicKey });
    expect(report).toMatchObject({ ok: false, first_broken: { reason: expect.stringMatching(/names key [0-9a-f]+, not the trusted key/) } });
  });

  it('a deleted checkpoint fails verify, and a restart records that it was missing', async () => {
    await unlink(`${path}.checkpoint.json`);
    await expect(verifyAuditLog(path, { publicKey })).resolves.toMatchObject({ ok: false, first_broken: { reason: expect.stringMatching(/no signed checkpoint/) } });
    const log = await AuditLog.open(path);
    expect((await log.tail(1))[0]).toMatchObject({ event: 'audit_checkpoint_missing', details: { found_seq: 10 } });
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, incidents: [{ event: 'audit_checkpoint_missing', note: expect.stringMatching(/cannot be ruled out/) }] });
    await log.close();
  });

  it('a log whose entries were rewritten with valid hashes is caught at the checkpoint', async () => {
    const entries = (await lines()).map((l) => JSON.parse(l) as AuditEntry);
    // Rebuild the chain from seq 5 with a changed entry: the chain verifies, the head differs.
    let prev = entries[3]?.hash ?? '';
    const forged = entries.map((entry, i) => {
      if (i < 4) return entry;
      const partial = { seq: entry.seq, ts: entry.ts, event: entry.event, actor: entry.actor, details: i === 4 ? { i: 400 } : entry.details, prev };
      prev = hashBody(entryBody(partial));
      return { ...partial, hash: prev };
    });
    await rewrite(forged.map((e) => canonicalJson(e)));
    await expect(verifyChain(path)).resolves.toMatchObject({ ok: true });
    await expect(verifyAuditLog(path, { publicKey })).resolves.toMatchObject({
      ok: false,
      first_broken: { seq: 10, line: 10, reason: expect.stringMatching(/not the one the signed checkpoint recorded/) },
    });
    await expect(AuditLog.open(path)).rejects.toThrow(/was rewritten/);
  });

  it('a checkpoint behind the log (a crash before it was written) is fine; the log carries on', async () => {
    const old = await checkpoint();
    const log = await AuditLog.open(path);
    await log.append('e', system, { i: 10 });
    await log.close();
    await writeFile(`${path}.checkpoint.json`, JSON.stringify(old));
    await expect(verifyAuditLog(path, { publicKey })).resolves.toMatchObject({ ok: true, last_seq: 11, checkpoint: { seq: 10 } });
    const reopened = await AuditLog.open(path);
    await expect(reopened.verify()).resolves.toMatchObject({ ok: true, checkpoint: { seq: 11 } });
    await reopened.close();
  });

  it('checkpoints go to the sinks too, and one from a sink verifies the log', async () => {
    const received: AuditCheckpoint[] = [];
    const { privateKey, publicKey: embedderKey } = generateKeyPairSync('ed25519');
    const other = join(dir, 'embedded.log');
    const log = await AuditLog.open(other, { signingKey: privateKey, checkpointSinks: [{ write: (c) => void received.push(c) }] });
    for (let i = 0; i < 3; i += 1) await log.append('e', system, { i });
    await log.close();
    expect(received.at(-1)).toMatchObject({ seq: 3 });
    expect(log.publicKey()).toBe(embedderKey.export({ type: 'spki', format: 'pem' }));
    await expect(verifyAuditLog(other, { publicKey: embedderKey, checkpoint: received.at(-1) })).resolves.toMatchObject({ ok: true, last_seq: 3 });
    // The sink's copy still knows the head after the file and the checkpoint beside it are both cut back.
    await writeFile(other, `${(await readFile(other, 'utf8')).split('\n').slice(0, 2).join('\n')}\n`);
    await writeFile(`${other}.checkpoint.json`, JSON.stringify(received.filter((c) => c.seq <= 2).at(-1)));
    await expect(verifyAuditLog(other, { publicKey: embedderKey })).resolves.toMatchObject({ ok: true });
    await expect(verifyAuditLog(other, { publicKey: embedderKey, checkpoint: received.at(-1) })).resolves.toMatchObject({ ok: false });
  });

  it('rotation keeps working with the checkpoint', async () => {
    const log = await AuditLog.open(path);
    await log.rotate();
    await log.append('after', system, {});
    await expect(log.verify()).resolves.toMatchObject({ ok: true, last_seq: 12, checkpoint: { seq: 12 } });
    await log.close();
    await expect(verifyAuditLog(path, { publicKey })).resolves.toMatchObject({ ok: true, entries: 12 });
  });
});
