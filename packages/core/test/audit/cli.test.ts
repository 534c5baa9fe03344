import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../../src/audit/verify-command.js';
import { AuditLog } from '../../src/index.js';

// `agent-gateway audit verify`, against copies of one log in different states. The command is run in
// process here; `@agent-gateway/server`, whose `agent-gateway` bin runs it, tests it as a real process.

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await runAuditCommand(args, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { status, stdout, stderr };
}

describe('agent-gateway audit verify', () => {
  let dir: string;
  let good: string;
  let key: string;
  /** A copy of the good log (and everything beside it) under another folder, changed by `change`. */
  const variant = async (name: string, change: (path: string) => Promise<void>): Promise<string> => {
    const folder = join(dir, name);
    await cp(join(dir, 'good'), folder, { recursive: true });
    const path = join(folder, 'audit.log');
    await change(path);
    return path;
  };
  const lines = async (path: string): Promise<string[]> => (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-cli-'));
    good = join(dir, 'good', 'audit.log');
    const log = await AuditLog.open(good);
    for (let i = 0; i < 8; i += 1) await log.append('e', { type: 'system', name: 'test' }, { i });
    await log.rotate();
    await log.append('after', { type: 'system', name: 'test' }, {});
    await log.close();
    // The published key, kept away from the log.
    key = join(dir, 'published.pem');
    await writeFile(key, log.publicKey());
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 on an intact log and says how far it reaches', async () => {
    const result = await run('audit', 'verify', good, '--key', key);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^OK .*audit\.log: 10 entries up to seq 10 in 2 file\(s\); reaches its checkpoint \(seq 10/);
  });

  it('exits 1 on a log with lines cut from the end', async () => {
    const truncated = await variant('truncated', async (path) => writeFile(path, `${(await lines(path)).slice(0, -1).join('\n')}\n`));
    const result = await run('audit', 'verify', truncated, '--key', key);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^TAMPERED .*: entry 10 is missing \(cut from the end\)/);
  });

  it('exits 1 on a log with an edited line, naming the file and line', async () => {
    const edited = await variant('edited', async (path) => {
      const [rotated] = (await lines(path)).map((l) => JSON.parse(l) as { details: { previous_file: string } });
      const old = join(path, '..', rotated?.details.previous_file ?? '');
      await writeFile(old, (await readFile(old, 'utf8')).replace('"i":3', '"i":33'));
    });
    const result = await run('audit', 'verify', edited, '--key', key);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/TAMPERED .*audit\.log\.\S+ line 4 \(seq 4\): hash does not match the entry \(it was edited\)/);
  });

  it('exits 1 when the checkpoint is not signed by the given key', async () => {
    const wrong = join(dir, 'wrong.pem');
    await writeFile(wrong, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const result = await run('audit', 'verify', good, '--key', wrong);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/not the trusted key/);
  });

  it('exits 2 on a usage error, with the usage', async () => {
    const result = await run('audit', 'verify');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^agent-gateway: no log file given\n\nusage: agent-gateway audit verify/);
  });

  it('--json gives one document', async () => {
    const result = await run('audit', 'verify', '--json', good, '--key', key);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, results: [{ file: good, ok: true, last_seq: 10, key: { pinned: true }, checkpoint: { signature_valid: true } }] });
  });

  it('without --key uses the key beside the log, and says so', async () => {
    const result = await run('audit', 'verify', good);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/checked with the key beside the log/);
  });

  it('every usage error is a 2 with the usage', async () => {
    const notAKey = join(dir, 'not-a-key.pem');
    await writeFile(notAKey, 'hello');
    const cases = [[], ['audit'], ['audit', 'verify', good, '--colour'], ['audit', 'verify', join(dir, 'nope.log')], ['audit', 'verify', good, '--key', notAKey], ['audit', 'verify', good, '--key', join(dir, 'none.pem')], ['audit', 'verify', good, good, '--checkpoint', good]];
    for (const args of cases) {
      const result = await run(...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^agent-gateway: .+\n\nusage: agent-gateway audit verify/);
    }
  });
});
