/**
 * Docker's multiplexed attach stream: frames of an 8-byte header (stream type 1 = stdout,
 * 2 = stderr; payload length as uint32 big-endian) followed by the payload.
 */
export class DockerFrameReader {
  #pending: Buffer = Buffer.alloc(0);

  /** The complete frames in `chunk` (together with what came before). */
  push(chunk: Buffer): Array<{ stream: 'stdout' | 'stderr'; payload: Buffer }> {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Array<{ stream: 'stdout' | 'stderr'; payload: Buffer }> = [];
    while (this.#pending.length >= 8) {
      const size = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + size) break;
      const type = this.#pending[0];
      frames.push({ stream: type === 2 ? 'stderr' : 'stdout', payload: this.#pending.subarray(8, 8 + size) });
      this.#pending = this.#pending.subarray(8 + size);
    }
    return frames;
  }
}

/**
 * One frame of Docker's multiplexed attach stream (what `DockerFrameReader` reads): for tests and fake
 * clients.
 */
export function dockerFrame(stream: 'stdout' | 'stderr', payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream === 'stderr' ? 2 : 1;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
