/**
 * Splits a byte stream into `\n`-terminated lines, refusing any line longer than `maxBytes`
 * (a worker that floods its stdout must not make the gateway buffer without bound).
 */
export class LineSplitter {
  readonly #maxBytes: number;
  #parts: Buffer[] = [];
  #size = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The complete lines in `chunk`; throws RangeError when a line grows past the limit. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let index = chunk.indexOf(0x0a); index !== -1; index = chunk.indexOf(0x0a, start)) {
      this.#append(chunk.subarray(start, index));
      lines.push(Buffer.concat(this.#parts, this.#size).toString('utf8'));
      this.#parts = [];
      this.#size = 0;
      start = index + 1;
    }
    this.#append(chunk.subarray(start));
    return lines;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    this.#size += part.length;
    if (this.#size > this.#maxBytes) throw new RangeError(`line longer than ${this.#maxBytes} bytes`);
    this.#parts.push(part);
  }
}
