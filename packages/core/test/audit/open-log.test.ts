import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBody, hashBody, type AuditEntry } from '../../src/audit/audit-entry.js';
import { loadAuditKeys } from '../../src/audit/checkpoint.js';
import { checkHead } from '../../src/audit/open-log.js';
import { AuditLog, type AuditCheckpoint } from '../../src/index.js';

// Holding the head found on disk against the signed checkpoint when a log is opened (issue 24:
// open-log.ts's mutants), including a checkpoint that lags behind the file, as after a crash.

const system = { type: 'system', name: 'test' } as const;
const KEEP_EVIDENCE = 'keep the files as evidence (`agent-gateway audit verify` explains them) and move the log, its rotated files and its checkpoint aside to start a new one';

let dir: string;
let path: string;
/** Every checkpoint the log signed, oldest first. */
let signed: AuditCheckpoint[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'open-log-'));
  path = join(dir, 'audit.log');
  signed = [];
  const log = await AuditLog.open(path, { checkpointSinks: [{ write: (checkpoint) => void signed.push(checkpoint) }] });
  for (let i = 1; i <= 4; i += 1) {
    await log.append('e', system, { i });
    await log.verify(); // waits for this head's checkpoint, so each seq has one
  }
  await log.close();
  await new Promise((resolve) => setImmediate(resolve));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const checkpointPath = (): string => `${path}.checkpoint.json`;
const head = async (): Promise<{ seq: number; hash: string }> => {
  const last = (await readFile(path, 'utf8')).trim().split('\n').at(-1) ?? '';
  const { seq, hash } = JSON.parse(last) as { seq: number; hash: string };
  return { seq, hash };
};
const keys = async () => (await loadAuditKeys(path)).keys;
/** Puts back an earlier checkpoint, as if the later ones had not been written before a crash. */
const lagTo = async (seq: number): Promise<AuditCheckpoint> => {
  const earlier = signed.find((checkpoint) => checkpoint.seq === seq);
  if (earlier === undefined) throw new Error(`no checkpoint of seq ${seq} among ${signed.map((c) => c.seq).join(', ')}`);
  await writeFile(checkpointPath(), `${JSON.stringify(earlier)}\n`);
  return earlier;
};

describe('checkHead', () => {
  it('a head its checkpoint names: ok; none: missing', async () => {
    expect(await checkHead(path, await head(), await keys())).toBe('ok');
    await rm(checkpointPath());
    expect(await checkHead(path, await head(), await keys())).toBe('missing');
  });

  it('a checkpoint that cannot be read stops the open, saying why and what to do', async () => {
    await writeFile(checkpointPath(), 'not json');
    await expect(checkHead(path, await head(), await keys())).rejects.toThrow(`${checkpointPath()}: the checkpoint is not valid JSON; ${KEEP_EVIDENCE}`);
    await expect(AuditLog.open(path)).rejects.toThrow(`${checkpointPath()}: the checkpoint is not valid JSON; ${KEEP_EVIDENCE}`);
  });

  it('a file that ends before its checkpoint: entries cut from the end', async () => {
    const lines = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, `${lines.slice(0, 2).join('\n')}\n`);
    await expect(AuditLog.open(path)).rejects.toThrow(`audit log ${path} ends at seq 2, but its signed checkpoint says it reached seq 4: entries were cut from its end; ${KEEP_EVIDENCE}`);
  });

  it('a checkpoint behind the file whose entry is still in it: the chain must pass through it', async () => {
    await lagTo(2);
    expect(await checkHead(path, await head(), await keys())).toBe('ok');
    // The file rewritten from seq 2 on, as a chain of its own with every hash right: the checkpoint's entry differs.
    const [first, ...rest] = (await readFile(path, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as AuditEntry);
    let prev = first?.hash ?? '';
    const forged = rest.map((entry) => {
      const partial = { seq: entry.seq, ts: entry.ts, event: entry.event, actor: entry.actor, details: { i: `forged ${entry.seq}` }, prev };
      const hash = hashBody(entryBody(partial));
      prev = hash;
      return JSON.stringify({ ...partial, hash });
    });
    await writeFile(path, `${[JSON.stringify(first), ...forged].join('\n')}\n`);
    await expect(checkHead(path, await head(), await keys())).rejects.toThrow(
      `audit log ${path} was rewritten: its entry at seq 2 is not the one its signed checkpoint recorded; ${KEEP_EVIDENCE}`,
    );
  });

  it('a checkpoint behind the file whose entry was in a rotated file archived since: cannot be held against it, and does not stop the open', async () => {
    const log = await AuditLog.open(path);
    await log.rotate();
    await log.append('after', system, {});
    await log.close();
    const rotated = (await readdir(dir)).find((name) => /^audit\.log\.\d/.test(name)) ?? '';
    await rename(join(dir, rotated), join(dir, `archived-${rotated}`));
    // seq 3 was only in the archived file (the new file's anchor names seq 4, the old file's last).
    await lagTo(3);
    expect(await checkHead(path, await head(), await keys())).toBe('ok');
    const reopened = await AuditLog.open(path);
    await reopened.close();
  });
});
