import { z } from 'zod';
import { REDACTED } from './secret-text.js';
import { JsonFileState } from '../storage/json-file-state.js';
import { normalizeOrigin } from './origin.js';

/** A field name (`password`) or a dotted path of object keys (`card.number`), matched without case. */
export const redactionFieldSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/, 'expected a field name or a dotted path such as card.number');

export const redactionFieldsSchema = z.array(redactionFieldSchema).max(500);

/** Where the rules live. The file store keeps them across restarts; a shared store can replace it. */
export interface RedactionRuleStore {
  /** Every origin's field list. */
  load(): Promise<Record<string, string[]>>;
  /** Replaces every origin's field list. */
  save(rules: Record<string, string[]>): Promise<void>;
  /** A shared store writes one origin (no fields: removes it), so processes setting others lose nothing. */
  saveOrigin?(origin: string, fields: readonly string[]): Promise<void>;
  /** Calls `onChange` with all rules whenever any process changed them; returns a stop function. */
  watch?(onChange: (rules: Record<string, string[]>) => void): () => void;
}

const fileSchema = z.object({ version: z.literal(1), origins: z.record(z.string(), redactionFieldsSchema) });

export class FileRedactionRuleStore implements RedactionRuleStore {
  readonly #file: JsonFileState<z.infer<typeof fileSchema>>;

  constructor(path: string) {
    this.#file = new JsonFileState(path, fileSchema);
  }

  async load(): Promise<Record<string, string[]>> {
    return (await this.#file.load())?.origins ?? {};
  }

  save(rules: Record<string, string[]>): Promise<void> {
    return this.#file.save({ version: 1, origins: rules });
  }
}

export class MemoryRedactionRuleStore implements RedactionRuleStore {
  #rules: Record<string, string[]> = {};

  async load(): Promise<Record<string, string[]>> {
    return { ...this.#rules };
  }

  async save(rules: Record<string, string[]>): Promise<void> {
    this.#rules = { ...rules };
  }
}

interface CompiledRules {
  /** Plain field names, lower-case. */
  readonly names: ReadonlySet<string>;
  /** Dotted paths as lower-case key sequences. */
  readonly paths: readonly (readonly string[])[];
}

function compile(fields: readonly string[]): CompiledRules {
  const names = new Set<string>();
  const paths: string[][] = [];
  for (const field of fields) {
    const parts = field.toLowerCase().split('.');
    if (parts.length === 1) names.add(parts[0] ?? '');
    else paths.push(parts);
  }
  return { names, paths };
}

/** Whether the object keys leading to a value (array indices left out) end in one of the paths. */
function endsWithPath(keys: readonly string[], paths: CompiledRules['paths']): boolean {
  return paths.some((path) => path.length <= keys.length && path.every((part, i) => keys[keys.length - path.length + i] === part));
}

function redactValue(value: unknown, rules: CompiledRules, keys: string[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 100) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, rules, keys, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const lower = key.toLowerCase();
    const path = [...keys, lower];
    const redacted = rules.names.has(lower) || endsWithPath(path, rules.paths) ? REDACTED : redactValue(child, rules, path, depth + 1);
    // A plain assignment to `__proto__` (an own key JSON.parse makes) would set the copy's prototype
    // and drop the field from what is shown: an approver or the audit would not see that argument.
    if (key === '__proto__') Object.defineProperty(out, key, { value: redacted, enumerable: true, writable: true, configurable: true });
    else out[key] = redacted;
  }
  return out;
}

/**
 * Per-origin field lists, and `redact(origin, value)`, which replaces matching fields at any depth
 * of objects and arrays with `[REDACTED]`. Setting an origin's list replaces it and persists it.
 */
export class RedactionRules {
  readonly #store: RedactionRuleStore;
  #rules = new Map<string, { fields: string[]; compiled: CompiledRules }>();
  #loaded: Promise<void> | undefined;
  #unwatch: (() => void) | undefined;

  constructor(store: RedactionRuleStore = new MemoryRedactionRuleStore()) {
    this.#store = store;
  }

  /** Reads the stored rules (once); call at start so a broken file stops the start. */
  load(): Promise<void> {
    this.#unwatch ??= this.#store.watch?.((rules) => this.#replace(rules));
    this.#loaded ??= this.#store.load().then(
      (stored) => this.#replace(stored),
      (error: unknown) => {
        // Read again next time: a shared store that was down at start must not stay unreadable.
        this.#loaded = undefined;
        throw error;
      },
    );
    return this.#loaded;
  }

  /** Stops following the shared store's changes. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  #replace(stored: Record<string, string[]>): void {
    this.#rules = new Map(Object.entries(stored).map(([origin, fields]) => [origin, { fields, compiled: compile(fields) }]));
  }

  /** Replaces the fields of `origin` (normalised; 400 when it is not an origin) and persists all rules. */
  async set(origin: string, fields: readonly string[]): Promise<{ origin: string; fields: string[] }> {
    await this.load();
    const normalized = normalizeOrigin(origin);
    const unique = [...new Set(fields)];
    if (this.#store.saveOrigin !== undefined) {
      await this.#store.saveOrigin(normalized, unique);
      if (unique.length === 0) this.#rules.delete(normalized);
      else this.#rules.set(normalized, { fields: unique, compiled: compile(unique) });
      return { origin: normalized, fields: unique };
    }
    if (unique.length === 0) this.#rules.delete(normalized);
    else this.#rules.set(normalized, { fields: unique, compiled: compile(unique) });
    await this.#store.save(Object.fromEntries([...this.#rules].map(([key, rule]) => [key, rule.fields])));
    return { origin: normalized, fields: unique };
  }

  /** The fields of `origin`; an origin never set has none. */
  async get(origin: string): Promise<{ origin: string; fields: string[] }> {
    await this.load();
    const normalized = normalizeOrigin(origin);
    return { origin: normalized, fields: [...(this.#rules.get(normalized)?.fields ?? [])] };
  }

  /** Every origin with its fields, sorted by origin. */
  async list(): Promise<Array<{ origin: string; fields: string[] }>> {
    await this.load();
    return [...this.#rules].map(([origin, rule]) => ({ origin, fields: [...rule.fields] })).sort((a, b) => a.origin.localeCompare(b.origin));
  }

  /** `value` with the origin's fields replaced (a copy; the input is left as it was). */
  redact(origin: string, value: unknown): unknown {
    const rule = this.#rules.get(origin);
    return rule === undefined ? value : redactValue(value, rule.compiled, [], 0);
  }
}
