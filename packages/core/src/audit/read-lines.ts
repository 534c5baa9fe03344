import { open } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;

export interface Line {
  readonly text: string;
  /** 1-based. */
  readonly number: number;
  /** False only for bytes after the last newline (a write cut short). */
  readonly complete: boolean;
}

/**
 * The lines of a file, front to back, read in chunks through one handle that is closed however the
 * loop ends (`break`, `return`, a throw): a `for await` over this calls the generator's `return()`,
 * which runs the `finally`. readline over a read stream does not: breaking out of it leaves the
 * stream paused with its descriptor open, which is how `verify` leaked one per file per call.
 * Nothing is opened until the first line is asked for.
 */
export async function* readLines(path: string): AsyncGenerator<Line, void, undefined> {
  const file = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    let number = 0;
    for (;;) {
      const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      let buffer = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      let newline = buffer.indexOf(0x0a);
      while (newline !== -1) {
        number += 1;
        yield { text: buffer.subarray(0, newline).toString('utf8'), number, complete: true };
        buffer = buffer.subarray(newline + 1);
        newline = buffer.indexOf(0x0a);
      }
      carry = Buffer.from(buffer);
    }
    if (carry.length > 0) yield { text: carry.toString('utf8'), number: number + 1, complete: false };
  } finally {
    await file.close();
  }
}
