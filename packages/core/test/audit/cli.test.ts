import { generateKeyPairSync } from 'node:crypto';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand, USAGE } from '../../src/audit/verify-command.js';
import { AuditLog, type AuditCheckpoint } from '../../src/index.js';

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
  // The exact text of each kind of line (issue 24: the command's mutants), paths shown relative to the
  // folder it runs in.
  const shown = (path: string): string => relative(process.cwd(), path);
  const checkpointOf = async (path: string): Promise<AuditCheckpoint> => JSON.parse(await readFile(`${path}.checkpoint.json`, 'utf8')) as AuditCheckpoint;

  it('an intact log with its key given: one OK line naming the checkpoint, and nothing else', async () => {
    const checkpoint = await checkpointOf(good);
    const result = await run('audit', 'verify', good, '--key', key);
    expect(result.stdout).toBe(`OK ${shown(good)}: 10 entries up to seq 10 in 2 file(s); reaches its checkpoint (seq 10, signed ${checkpoint.ts} by key ${checkpoint.key_id})\n`);
  });

  it('without --key: the note names the key file beside the log', async () => {
    const result = await run('audit', 'verify', good);
    expect(result.stdout.split('\n')[1]).toBe(`  note: checked with the key beside the log (${shown(`${good}.pub.pem`)}); pass --key with a copy kept elsewhere`);
  });

  it('--help, -h and `audit verify --help` print the usage on stdout and exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['audit', 'verify', '--help'], ['audit', 'verify', '-h']]) {
      expect(await run(...args), args.join(' ')).toEqual({ status: 0, stdout: `${USAGE}\n`, stderr: '' });
    }
  });

  it('each usage error says what is wrong', async () => {
    const notAKey = join(dir, 'not-a-key.pem');
    await writeFile(notAKey, 'hello');
    const folder = join(dir, 'a-folder');
    await mkdir(folder, { recursive: true });
    const lonely = await variant('lonely', (path) => unlink(`${path}.pub.pem`));
    const cases: [string[], string][] = [
      [[], 'no command given'],
      [['audit'], 'unknown command: audit'],
      [['audit', 'list'], 'unknown command: audit list'],
      [['verify', 'audit'], 'unknown command: verify audit'],
      [['x', 'verify', good], 'unknown command: x verify'],
      [['audit', 'verify'], 'no log file given'],
      [['audit', 'verify', folder], `${folder} is not a file`],
      [['audit', 'verify', join(dir, 'nope.log'), '--key', key], `${join(dir, 'nope.log')} is not a file`],
      [['audit', 'verify', good, '--key', notAKey], `${notAKey} is not an Ed25519 public key in PEM`],
      [['audit', 'verify', good, '--key', join(dir, 'none.pem')], `cannot read the key ${join(dir, 'none.pem')}: ENOENT`],
      [['audit', 'verify', lonely], `no --key given and no public key beside ${lonely} (${lonely}.pub.pem: ENOENT)`],
      [['audit', 'verify', good, good, '--checkpoint', `${good}.checkpoint.json`], '--checkpoint goes with exactly one log file'],
    ];
    for (const [args, message] of cases) {
      expect(await run(...args), args.join(' ')).toEqual({ status: 2, stdout: '', stderr: `agent-gateway: ${message}\n\n${USAGE}\n` });
    }
    const unknown = await run('audit', 'verify', good, '--colour');
    expect(unknown.stderr).toMatch(/^agent-gateway: Unknown option '--colour'/);
  });

  it('--checkpoint: the chain is held against the checkpoint given instead of the one beside the log', async () => {
    const kept = join(dir, 'kept-checkpoint.json');
    await cp(`${good}.checkpoint.json`, kept);
    const cut = await variant('cut-with-its-checkpoint', async (path) => {
      await writeFile(path, `${(await lines(path)).slice(0, -1).join('\n')}\n`);
      await unlink(`${path}.checkpoint.json`);
    });
    const result = await run('audit', 'verify', cut, '--key', key, '--checkpoint', kept, '--json');
    expect(result.status).toBe(1);
    const [outcome] = (JSON.parse(result.stdout) as { results: { checkpoint: { file: string }; first_broken: { reason: string } }[] }).results;
    expect(outcome?.checkpoint.file).toBe(kept);
    expect(outcome?.first_broken.reason).toMatch(/^entry 10 is missing \(cut from the end\)/);
  });

  it('several logs: one line each, and exit 1 when any of them is tampered with', async () => {
    const truncated = await variant('truncated-2', async (path) => writeFile(path, `${(await lines(path)).slice(0, -1).join('\n')}\n`));
    const both = await run('audit', 'verify', good, truncated, '--key', key);
    expect(both.status).toBe(1);
    expect(both.stdout.split('\n').map((line) => line.split(' ')[0])).toEqual(['OK', 'TAMPERED', '']);
    const json = await run('audit', 'verify', good, truncated, '--key', key, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, results: [{ ok: true }, { ok: false }] });
    expect((await run('audit', 'verify', good, good, '--key', key)).status).toBe(0);
  });

  it('a break without a seq (a bad signature) names the line only', async () => {
    const resigned = await variant('resigned', async (path) => {
      const checkpoint = await checkpointOf(path);
      await writeFile(`${path}.checkpoint.json`, JSON.stringify({ ...checkpoint, ts: '2000-01-01T00:00:00.000Z' }));
    });
    const result = await run('audit', 'verify', resigned, '--key', key);
    expect(result.stdout).toBe(`TAMPERED ${shown(resigned)}: ${shown(resigned)} line 3: the checkpoint signature does not verify (the checkpoint was altered)\n`);
  });

  it('a torn last line and a rotated file archived away are notes under an OK', async () => {
    const noted = await variant('noted', async (path) => {
      const rotated = (await readdir(join(path, '..'))).find((name) => /^audit\.log\.\d/.test(name)) ?? '';
      await rename(join(path, '..', rotated), join(path, '..', '..', `archived-${rotated}`));
      await appendFile(path, '{"seq":11,"ts');
    });
    const rotated = (await readdir(join(dir, 'good'))).find((name) => /^audit\.log\.\d/.test(name));
    const result = await run('audit', 'verify', noted, '--key', key);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      `OK ${shown(noted)}: 2 entries up to seq 10 in 1 file(s); reaches its checkpoint (seq 10, signed ${(await checkpointOf(good)).ts} by key ${(await checkpointOf(good)).key_id})\n` +
        `  note: ends in an incomplete entry from a crash (line 3, 13 bytes)\n` +
        `  note: continues ${rotated}, which is no longer beside it (archived)\n`,
    );
  });

  it('incidents the log recorded: the one that explains a break with its kept copy, the others as recorded', async () => {
    const folder = join(dir, 'incidents');
    await mkdir(folder);
    const path = join(folder, 'audit.log');
    const first = await AuditLog.open(path);
    await first.append('e', { type: 'system', name: 'test' }, { i: 1 });
    await first.close();
    await unlink(`${path}.checkpoint.json`);
    // Reopened without its checkpoint (recorded), then the file is edited under the running log (a break, explained).
    const log = await AuditLog.open(path);
    await log.append('e', { type: 'system', name: 'test' }, { i: 2 });
    const text = await readFile(path, 'utf8');
    await writeFile(join(folder, 'sed'), text.replace('"i":2', '"i":22'));
    await rename(join(folder, 'sed'), path);
    await log.append('e', { type: 'system', name: 'test' }, { i: 3 });
    await log.close();
    const kept = (await readdir(folder)).find((name) => name.startsWith('audit.log.replaced-')) ?? '';
    const result = await run('audit', 'verify', path);
    expect(result.status).toBe(1);
    const out = result.stdout.split('\n');
    expect(out[0]).toBe(`TAMPERED ${shown(path)}: ${shown(path)} line 3 (seq 3): hash does not match the entry (it was edited)`);
    expect(out[1]).toMatch(new RegExp(`^  explained by ${shown(path)} line 4 \\(seq 4, audit_file_replaced\\): the file was replaced while the gateway had it open .* \\[kept copy ${shown(join(folder, kept))}: intact to seq 3\\]$`));
    expect(out[2]).toBe(`  recorded: ${shown(path)} line 2 (seq 2, audit_checkpoint_missing): no signed checkpoint was found when the log was opened at seq 1: entries cut from its end before then cannot be ruled out`);
    expect(out.slice(3)).toEqual([`  note: checked with the key beside the log (${shown(`${path}.pub.pem`)}); pass --key with a copy kept elsewhere`, '']);
    // The kept copy cut short of the entry (it verifies, but not up to it), then edited (it does not verify).
    const copy = join(folder, kept);
    const copied = await lines(copy);
    await writeFile(copy, `${copied.slice(0, 1).join('\n')}\n`);
    expect((await run('audit', 'verify', path)).stdout.split('\n')[1]).toMatch(/ \[kept copy \S+: does not verify up to this entry\]$/);
    await writeFile(copy, `${copied.map((line) => line.replace('"i":1', '"i":11')).join('\n')}\n`);
    expect((await run('audit', 'verify', path)).stdout.split('\n')[1]).toMatch(/ \[kept copy \S+: does not verify up to this entry\]$/);
  });

  it('an intact log with an incident it recorded: OK, and the incident under it', async () => {
    const folder = join(dir, 'recorded');
    await mkdir(folder);
    const path = join(folder, 'audit.log');
    const first = await AuditLog.open(path);
    await first.append('e', { type: 'system', name: 'test' }, {});
    await first.close();
    await unlink(`${path}.checkpoint.json`);
    await (await AuditLog.open(path)).close();
    const result = await run('audit', 'verify', path);
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(new RegExp(`^OK ${shown(path)}: 2 entries up to seq 2 in 1 file\\(s\\); reaches its checkpoint \\(seq 2, `)),
      `  recorded: ${shown(path)} line 2 (seq 2, audit_checkpoint_missing): no signed checkpoint was found when the log was opened at seq 1: entries cut from its end before then cannot be ruled out`,
    ]);
  });

  it('--json names the key each log was checked with, and whether it was given', async () => {
    const given = JSON.parse((await run('audit', 'verify', good, '--key', key, '--json')).stdout) as { results: { key: unknown }[] };
    expect(given.results[0]?.key).toEqual({ source: key, pinned: true });
    const beside = JSON.parse((await run('audit', 'verify', good, '--json')).stdout) as { ok: boolean; results: { key: unknown }[] };
    expect(beside).toMatchObject({ ok: true, results: [{ key: { source: `${good}.pub.pem`, pinned: false } }] });
  });

  it('a file that cannot be read is not a usage error: the command rejects, for its caller to report', async () => {
    const unreadable = await variant('unreadable', async (path) => {
      const rotated = (await readdir(join(path, '..'))).find((name) => /^audit\.log\.\d/.test(name)) ?? '';
      await rm(join(path, '..', rotated));
      await mkdir(join(path, '..', rotated));
    });
    await expect(run('audit', 'verify', unreadable, '--key', key)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

