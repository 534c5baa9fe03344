import { open } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;

export interface LastLines {
  /** Complete lines, oldest first, at most the number asked for that `accept` took. */
  readonly lines: string[];
  /** Bytes after the last newline: a torn write, or '' when the file ends cleanly. */
  readonly tornTail: string;
  /** How much of the file was read (the point of reading backwards). */
  readonly bytesRead: number;
}

/**
 * Reads complete lines from the end of a file backwards, in chunks, until `count` lines passed
 * `accept` or the file's start is reached. Never loads the whole file.
 */
export async function readLastLines(path: string, count: number, accept: (line: string) => boolean = () => true): Promise<LastLines> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const found: string[] = [];
    let position = size;
    let carry = Buffer.alloc(0);
    let tornTail: string | undefined;
    let bytesRead = 0;
    while (position > 0 && found.length < count) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, position);
      bytesRead += length;
      let buffer = Buffer.concat([chunk, carry]);
      // Lines are complete only between newlines; the part before the first one may continue further back.
      let end = buffer.length;
      for (let i = buffer.length - 1; i >= 0 && found.length < count; i -= 1) {
        if (buffer[i] !== 0x0a) continue;
        const line = buffer.subarray(i + 1, end).toString('utf8');
        if (tornTail === undefined) tornTail = line;
        else if (line !== '' && accept(line)) found.push(line);
        end = i;
      }
      buffer = buffer.subarray(0, end);
      carry = buffer;
    }
    // Short of `count` only when the loop reached the file's start: what is left is its first line.
    if (found.length < count && carry.length > 0) {
      const first = carry.toString('utf8');
      if (tornTail === undefined) tornTail = first;
      else if (accept(first)) found.push(first);
    }
    return { lines: found.reverse(), tornTail: tornTail ?? '', bytesRead };
  } finally {
    await file.close();
  }
}
