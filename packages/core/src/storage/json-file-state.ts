import type { z } from 'zod';
import { issuesFromZod } from '../errors/index.js';
import { readFileIfExists, SerialQueue, writeFileAtomic } from './atomic-file.js';

/**
 * One JSON document on disk that a part keeps its state in (redaction rules, the kill switch, filter
 * rules). Saves are atomic and in call order, so concurrent updates end as the last one and the
 * file is never torn. A file that exists but does not match the schema stops the start: it is never
 * silently replaced.
 */
export class JsonFileState<T> {
  readonly path: string;
  readonly #schema: z.ZodType<T>;
  readonly #writes = new SerialQueue();

  constructor(path: string, schema: z.ZodType<T>) {
    this.path = path;
    this.#schema = schema;
  }

  /** The stored value, or `undefined` when there is no file yet. */
  async load(): Promise<T | undefined> {
    const text = await readFileIfExists(this.path);
    if (text === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not valid JSON; fix it or move it away`);
    }
    const parsed = this.#schema.safeParse(json);
    if (!parsed.success) {
      const detail = issuesFromZod(parsed.error).slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ');
      throw new Error(`${this.path} is not valid (${detail}); fix it or move it away`);
    }
    return parsed.data;
  }

  /** Writes `value` (computed at call time) after every earlier save. */
  save(value: T): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    return this.#writes.run(() => writeFileAtomic(this.path, text));
  }
}
