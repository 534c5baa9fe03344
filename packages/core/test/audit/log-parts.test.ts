import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type AuditEntry } from '../../src/audit/audit-entry.js';
import { incidentOf, isIncident, mayBeIncident } from '../../src/audit/incidents.js';
import { recoverHead, stamp } from '../../src/audit/open-log.js';
import { readLastLines } from '../../src/audit/read-last-lines.js';
import { readLines } from '../../src/audit/read-lines.js';

// The small parts under the audit log (issue 24: their mutants): reading lines from either end of a
// file in 64 KiB chunks, what a recorded incident says, and the head found when opening.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-parts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CHUNK = 64 * 1024;

async function fileOf(text: string): Promise<string> {
  const path = join(dir, `f${(await readdir(dir)).length}`);
  await writeFile(path, text);
  return path;
}

async function allLines(path: string): Promise<[string, number, boolean][]> {
  const out: [string, number, boolean][] = [];
  for await (const { text, number, complete } of readLines(path)) out.push([text, number, complete]);
  return out;
}

describe('readLines', () => {
  it('numbers complete lines from 1, keeps empty ones, and gives bytes after the last newline as incomplete', async () => {
    expect(await allLines(await fileOf('a\n\nbc\nd'))).toEqual([
      ['a', 1, true],
      ['', 2, true],
      ['bc', 3, true],
      ['d', 4, false],
    ]);
    expect(await allLines(await fileOf('a\n'))).toEqual([['a', 1, true]]);
    expect(await allLines(await fileOf(''))).toEqual([]);
  });

  it('joins a line across chunks, including a multi-byte character cut by a chunk boundary', async () => {
    const long = `${'x'.repeat(CHUNK - 1)}é${'y'.repeat(10)}`;
    const longer = 'z'.repeat(CHUNK * 2 + 5);
    expect(await allLines(await fileOf(`${long}\n${longer}\nend`))).toEqual([
      [long, 1, true],
      [longer, 2, true],
      ['end', 3, false],
    ]);
  });
});

describe('readLastLines', () => {
  it('the last lines, oldest first, and the torn tail apart', async () => {
    const path = await fileOf('1\n2\n3\n4\npartial');
    expect(await readLastLines(path, 2)).toEqual({ lines: ['3', '4'], tornTail: 'partial', bytesRead: 15 });
    expect(await readLastLines(path, 10)).toEqual({ lines: ['1', '2', '3', '4'], tornTail: 'partial', bytesRead: 15 });
  });

  it('a file ending cleanly has an empty torn tail; empty lines are not counted', async () => {
    expect(await readLastLines(await fileOf('1\n\n2\n'), 5)).toEqual({ lines: ['1', '2'], tornTail: '', bytesRead: 5 });
  });

  it('a file with no newline at all is all torn tail; an empty file has nothing', async () => {
    expect(await readLastLines(await fileOf('no newline'), 3)).toEqual({ lines: [], tornTail: 'no newline', bytesRead: 10 });
    expect(await readLastLines(await fileOf(''), 3)).toEqual({ lines: [], tornTail: '', bytesRead: 0 });
  });

  it('only lines `accept` takes count; the first line is offered too', async () => {
    const path = await fileOf('keep 1\nskip\nkeep 2\nskip\n');
    expect((await readLastLines(path, 5, (line) => line.startsWith('keep'))).lines).toEqual(['keep 1', 'keep 2']);
    expect((await readLastLines(path, 5, (line) => line !== 'keep 1')).lines).toEqual(['skip', 'keep 2', 'skip']);
  });

  it('reads back only as many chunks as it needs, and joins lines across them', async () => {
    const long = 'a'.repeat(CHUNK + 100);
    const path = await fileOf(`first\n${long}\nlast\n`);
    const size = 6 + long.length + 1 + 5;
    expect(await readLastLines(path, 1)).toEqual({ lines: ['last'], tornTail: '', bytesRead: CHUNK });
    expect(await readLastLines(path, 2)).toEqual({ lines: [long, 'last'], tornTail: '', bytesRead: size });
    expect(await readLastLines(path, 3)).toEqual({ lines: ['first', long, 'last'], tornTail: '', bytesRead: size });
  });

  it('a torn tail longer than a chunk is found whole', async () => {
    const torn = 'b'.repeat(CHUNK + 10);
    expect(await readLastLines(await fileOf(`one\n${torn}`), 1)).toMatchObject({ lines: ['one'], tornTail: torn });
  });
});

describe('incidents', () => {
  const entry = (event: string, details: Record<string, unknown>, seq = 9): AuditEntry => ({ seq, ts: 't', event, actor: { type: 'system', name: 'audit' }, details, prev: GENESIS_HASH, hash: GENESIS_HASH });

  it('only the log\'s own file events are incidents; the line pre-filter finds them by event', () => {
    for (const event of ['audit_file_replaced', 'audit_file_modified', 'audit_checkpoint_missing']) {
      expect(isIncident(entry(event, {})), event).toBe(true);
      expect(mayBeIncident(JSON.stringify(entry(event, {}))), event).toBe(true);
    }
    expect(isIncident(entry('audit_recovered', {}))).toBe(false);
    expect(mayBeIncident(JSON.stringify(entry('tool_call', { note: 'audit_file_replaced' })))).toBe(false);
  });

  it('each kind says what happened, in words, with where the copy is kept', () => {
    const replaced = { previous_inode: 11, new_inode: 12, previous_file: 'audit.log.replaced-x', restored_entries: 3, first_difference_line: 5 };
    const notes: [string, Record<string, unknown>, string][] = [
      ['audit_file_replaced', { ...replaced, found: 'missing' }, "the file was deleted while the gateway had it open; its 3 entries were written back into a new file, and the gateway's own copy (to seq 8) is kept in audit.log.replaced-x"],
      ['audit_file_replaced', { ...replaced, found: 'identical' }, "the file was replaced while the gateway had it open (inode 11 -> 12) by an identical copy; the gateway's own copy (to seq 8) is kept in audit.log.replaced-x"],
      ['audit_file_replaced', { ...replaced, found: 'prefix' }, "the file was replaced while the gateway had it open (inode 11 -> 12) by a copy missing the last 3 entries, which were written back; the gateway's own copy (to seq 8) is kept in audit.log.replaced-x"],
      ['audit_file_replaced', { ...replaced, found: 'different' }, "the file was replaced while the gateway had it open (inode 11 -> 12) by one that differs from the gateway's own from line 5: the lines before this entry are not all the gateway's; the gateway's own copy (to seq 8) is kept in audit.log.replaced-x"],
      ['audit_file_modified', { change: 'appended', bytes: 7, saved_to: 'audit.log.appended-x' }, '7 bytes were appended to the file by something other than the gateway; they were cut off and kept in audit.log.appended-x'],
      ['audit_file_modified', { change: 'truncated', expected_bytes: 100, found_bytes: 40 }, 'the file was cut short while the gateway had it open (100 -> 40 bytes): the entries in the cut part are gone from this file (look in the sinks)'],
      ['audit_checkpoint_missing', { found_seq: 4 }, 'no signed checkpoint was found when the log was opened at seq 4: entries cut from its end before then cannot be ruled out'],
    ];
    for (const [event, details, note] of notes) {
      expect(incidentOf(entry(event, details), 'audit.log', 7), `${event} ${String(details.found ?? details.change ?? '')}`).toEqual({ file: 'audit.log', line: 7, seq: 9, event, note });
    }
  });

  it('a detail of an unexpected type is shown as ?', () => {
    const { note } = incidentOf(entry('audit_file_replaced', { found: 'identical', previous_inode: { x: 1 }, new_inode: null, previous_file: true }), 'a', 1);
    expect(note).toBe("the file was replaced while the gateway had it open (inode ? -> ?) by an identical copy; the gateway's own copy (to seq 8) is kept in ?");
  });
});

describe('recoverHead', () => {
  const line = (seq: number): string => `${JSON.stringify({ seq, ts: 't', event: 'e', actor: { type: 'system', name: 's' }, details: {}, prev: GENESIS_HASH, hash: String(seq).repeat(64).slice(0, 64) })}\n`;
  const now = new Date('2030-01-02T03:04:05.678Z');

  it('no file or an empty one: the genesis head, nothing recovered', async () => {
    expect(await recoverHead(join(dir, 'none'), now)).toEqual({ head: { seq: 0, hash: GENESIS_HASH } });
    expect(await recoverHead(await fileOf(''), now)).toEqual({ head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('the last complete entry is the head; a torn tail is cut off and kept beside, named by the time', async () => {
    const path = await fileOf(`${line(1)}${line(2)}{"seq":3`);
    const { head, recovered } = await recoverHead(path, now);
    expect(head).toEqual({ seq: 2, hash: '2'.repeat(64) });
    expect(recovered).toEqual({ bytes: 8, savedTo: `${path}.torn-${stamp(now)}` });
    expect(stamp(now)).toBe('2030-01-02T03-04-05-678Z');
    expect(await readFile(path, 'utf8')).toBe(`${line(1)}${line(2)}`);
    expect(await readFile(`${path}.torn-2030-01-02T03-04-05-678Z`, 'utf8')).toBe('{"seq":3');
  });

  it('only a torn line: the genesis head, and the line recovered', async () => {
    const path = await fileOf('{"seq":1');
    expect(await recoverHead(path, now)).toEqual({ head: { seq: 0, hash: GENESIS_HASH }, recovered: { bytes: 8, savedTo: `${path}.torn-${stamp(now)}` } });
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('a damaged complete last entry stops the open', async () => {
    const path = await fileOf(`${line(1)}{"seq":"two"}\n`);
    await expect(recoverHead(path, now)).rejects.toThrow(`audit log ${path} ends in a damaged entry; run verify and move the file aside before starting`);
  });
});
