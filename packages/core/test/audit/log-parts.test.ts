import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, type AuditEntry } from '../../src/audit/audit-entry.js';
import { incidentOf, isIncident, mayBeIncident } from '../../src/audit/incidents.js';
import { recoverHead, stamp } from '../../src/audit/open-log.js';
import { readLastLines } from '../../src/audit/read-last-lines.js';
import { readLines } from '../../src/audit/read-lines.js';
import { descriptorsOf } from '../support/open-descriptors.js';

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
  it('closes the file whether the reader stops early or reads to the end', async () => {
    const path = await fileOf('a\nb\nc\n');
    for await (const line of readLines(path)) if (line.number === 2) break;
    expect(descriptorsOf(path)).toBe(0);
    expect(await allLines(path)).toHaveLength(3);
    expect(descriptorsOf(path)).toBe(0);
  });

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

  it('a file starting with a newline: the empty first line is not counted, and the next is whole', async () => {
    expect(await readLastLines(await fileOf('\nabc\n'), 5)).toEqual({ lines: ['abc'], tornTail: '', bytesRead: 5 });
    expect(await readLastLines(await fileOf('\n\n'), 5)).toEqual({ lines: [], tornTail: '', bytesRead: 2 });
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

  // toStrictEqual: nothing recovered is no `recovered` field at all (the type says optional, not undefined).
  it('no file, an empty one or one of empty lines: the genesis head, nothing recovered', async () => {
    expect(await recoverHead(join(dir, 'none'), now)).toStrictEqual({ head: { seq: 0, hash: GENESIS_HASH } });
    expect(await recoverHead(await fileOf(''), now)).toStrictEqual({ head: { seq: 0, hash: GENESIS_HASH } });
    expect(await recoverHead(await fileOf('\n\n'), now)).toStrictEqual({ head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('a file ending cleanly: its last entry is the head, nothing recovered, nothing written beside it', async () => {
    const path = await fileOf(`${line(1)}${line(2)}`);
    expect(await recoverHead(path, now)).toStrictEqual({ head: { seq: 2, hash: '2'.repeat(64) } });
    expect(await readdir(dir)).toEqual([path.split('/').at(-1)]);
  });

  it('an entry whose hash, prev or trace id is not exactly lowercase hex of its length is damaged', async () => {
    const bad: Record<string, unknown>[] = [
      { hash: `${'a'.repeat(64)}0` },
      { hash: `0${'a'.repeat(64)}` },
      { prev: `${'b'.repeat(64)}0` },
      { prev: `0${'b'.repeat(64)}` },
      { trace_id: `${'c'.repeat(32)}0` },
      { trace_id: `0${'c'.repeat(32)}` },
      { trace_id: 'c' },
      { trace_id: 'X'.repeat(32) },
    ];
    const good = { seq: 1, ts: 't', event: 'e', actor: { type: 'system', name: 's' }, details: {}, prev: 'b'.repeat(64), hash: 'a'.repeat(64), trace_id: 'c'.repeat(32) };
    expect((await recoverHead(await fileOf(`${JSON.stringify(good)}\n`), now)).head).toEqual({ seq: 1, hash: 'a'.repeat(64) });
    for (const change of bad) {
      const path = await fileOf(`${JSON.stringify({ ...good, ...change })}\n`);
      await expect(recoverHead(path, now), JSON.stringify(change)).rejects.toThrow('ends in a damaged entry');
    }
  });

  it('the last complete entry is the head; a torn tail is cut off and kept beside, named by the time', async () => {
    const path = await fileOf(`${line(1)}${line(2)}{"seq":3`);
    const { head, recovered } = await recoverHead(path, now);
    expect(head).toEqual({ seq: 2, hash: '2'.repeat(64) });
    expect(recovered).toEqual({ bytes: 8, savedTo: `${path}.torn-${stamp(now)}` });
    expect(stamp(now)).toBe('2030-01-02T03-04-05-678Z');
    expect(await readFile(path, 'utf8')).toBe(`${line(1)}${line(2)}`);
    expect(await readFile(`${path}.torn-2030-01-02T03-04-05-678Z`, 'utf8')).toBe('{"seq":3');
    // Only the gateway may read what it kept: the torn bytes are part of an entry.
    expect((await stat(`${path}.torn-2030-01-02T03-04-05-678Z`)).mode & 0o777).toBe(0o600);
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
