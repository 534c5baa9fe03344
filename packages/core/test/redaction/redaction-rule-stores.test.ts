import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRedactionRuleStore, MemoryRedactionRuleStore, RedactionRules, type RedactionRuleStore } from '../../src/redaction/index.js';

// Where redaction rules are kept and how RedactionRules reads them (issue 24: the mutants of
// redaction-rules.ts): loaded once and again after a failure, never a write that loses the stored
// origins, the file's shape, and a shared store's per-origin writes and change feed.

const R = '[REDACTED]';
const BANK = 'https://bank.example';

/** A shared store as the Redis one behaves: one origin written at a time, changes pushed to every watcher. */
class SharedStore implements RedactionRuleStore {
  rules: Record<string, string[]> = {};
  loads = 0;
  failLoads = 0;
  readonly written: Array<[string, string[]]> = [];
  readonly #watchers = new Set<(rules: Record<string, string[]>) => void>();

  async load(): Promise<Record<string, string[]>> {
    this.loads += 1;
    if (this.failLoads > 0) {
      this.failLoads -= 1;
      throw new Error('store down');
    }
    return { ...this.rules };
  }

  async save(): Promise<void> {
    throw new Error('a shared store is written one origin at a time');
  }

  async saveOrigin(origin: string, fields: readonly string[]): Promise<void> {
    this.written.push([origin, [...fields]]);
    if (fields.length === 0) delete this.rules[origin];
    else this.rules[origin] = [...fields];
  }

  watch(onChange: (rules: Record<string, string[]>) => void): () => void {
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /** Another process changed the rules. */
  change(rules: Record<string, string[]>): void {
    this.rules = rules;
    for (const watcher of this.#watchers) watcher({ ...rules });
  }
}

describe('the file store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redaction-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads no rules from a missing file, and writes version 1 with every origin', async () => {
    const path = join(dir, 'rules.json');
    const store = new FileRedactionRuleStore(path);
    expect(await store.load()).toEqual({});
    await store.save({ [BANK]: ['password'], 'https://a.example': ['pin'] });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, origins: { [BANK]: ['password'], 'https://a.example': ['pin'] } });
    expect(await new FileRedactionRuleStore(path).load()).toEqual({ [BANK]: ['password'], 'https://a.example': ['pin'] });
  });

  it.each([
    ['another version', { version: 2, origins: {} }],
    ['no version', { origins: {} }],
    ['a field that is no field name', { version: 1, origins: { [BANK]: ['a b'] } }],
  ])('refuses a file with %s', async (_, content) => {
    const path = join(dir, 'rules.json');
    await writeFile(path, JSON.stringify(content));
    await expect(new FileRedactionRuleStore(path).load()).rejects.toThrow(/is not valid/);
  });

  it("setting one origin before anything was read keeps the file's other origins", async () => {
    const path = join(dir, 'rules.json');
    await mkdir(dir, { recursive: true });
    await writeFile(path, JSON.stringify({ version: 1, origins: { 'https://a.example': ['pin'] } }));
    const rules = new RedactionRules(new FileRedactionRuleStore(path));
    await rules.set(BANK, ['password']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, origins: { 'https://a.example': ['pin'], [BANK]: ['password'] } });
    expect(rules.redact('https://a.example', { pin: 1 })).toEqual({ pin: R });
  });
});

describe('the memory store', () => {
  it('gives back what was saved, as a copy', async () => {
    const store = new MemoryRedactionRuleStore();
    expect(await store.load()).toEqual({});
    const saved = { [BANK]: ['password'] };
    await store.save(saved);
    delete (saved as Record<string, string[]>)[BANK];
    const loaded = await store.load();
    expect(loaded).toEqual({ [BANK]: ['password'] });
    delete loaded[BANK];
    expect(await store.load()).toEqual({ [BANK]: ['password'] });
  });
});

describe('loading', () => {
  it('reads the store once however often it is asked, and the rules read apply', async () => {
    const store = new SharedStore();
    store.rules = { [BANK]: ['password'] };
    const rules = new RedactionRules(store);
    await Promise.all([rules.load(), rules.load()]);
    await rules.load();
    await rules.get(BANK);
    expect(store.loads).toBe(1);
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: R });
  });

  it('a failed read is reported and tried again on the next call', async () => {
    const store = new SharedStore();
    store.rules = { [BANK]: ['password'] };
    store.failLoads = 1;
    const rules = new RedactionRules(store);
    await expect(rules.load()).rejects.toThrow('store down');
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: 'p' });
    await rules.load();
    expect(store.loads).toBe(2);
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: R });
  });
});

describe('a shared store', () => {
  it('is written one origin at a time, never as a whole, and the rules apply at once', async () => {
    const store = new SharedStore();
    store.rules = { 'https://a.example': ['pin'] };
    const rules = new RedactionRules(store);
    expect(await rules.set('https://Bank.example', ['password', 'password', 'cvv'])).toEqual({ origin: BANK, fields: ['password', 'cvv'] });
    expect(rules.redact(BANK, { password: 1, cvv: 2, pin: 3 })).toEqual({ password: R, cvv: R, pin: 3 });
    expect(rules.redact('https://a.example', { pin: 3 })).toEqual({ pin: R });
    expect(await rules.set(BANK, [])).toEqual({ origin: BANK, fields: [] });
    expect(rules.redact(BANK, { password: 1 })).toEqual({ password: 1 });
    expect(await rules.list()).toEqual([{ origin: 'https://a.example', fields: ['pin'] }]);
    expect(store.written).toEqual([
      [BANK, ['password', 'cvv']],
      [BANK, []],
    ]);
  });

  it("follows another process's changes until closed, and again after a new load", async () => {
    const store = new SharedStore();
    const rules = new RedactionRules(store);
    await rules.load();
    store.change({ [BANK]: ['password'] });
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: R });
    expect((await rules.get(BANK)).fields).toEqual(['password']);
    store.change({});
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: 'p' });

    rules.close();
    expect(store.watchers).toBe(0);
    store.change({ [BANK]: ['password'] });
    expect(rules.redact(BANK, { password: 'p' })).toEqual({ password: 'p' });

    await rules.load();
    expect(store.watchers).toBe(1);
    store.change({ [BANK]: ['cvv'] });
    expect(rules.redact(BANK, { cvv: 1, password: 'p' })).toEqual({ cvv: R, password: 'p' });
    rules.close();
    rules.close();
    expect(store.watchers).toBe(0);
  });

  it('is watched once however often it is loaded', async () => {
    const store = new SharedStore();
    const rules = new RedactionRules(store);
    await rules.load();
    await rules.load();
    await rules.set(BANK, ['a']);
    expect(store.watchers).toBe(1);
    rules.close();
  });
});
