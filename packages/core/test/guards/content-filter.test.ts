import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentRuleInputSchema } from '../../src/guards/content-filter.js';
import { ContentFilter, type ContentRule, type ContentRuleStore } from '../../src/index.js';

// The content filter on its own: what it matches (and what it must not), how rules are checked when
// added, and how it keeps them in a file or a shared store. Mutation testing showed the gateway-level
// tests left most of these branches unchecked.

const blockedBy = (ruleId: string) => expect.objectContaining({ status: 403, code: 'content_blocked', details: { rule_id: ruleId } });

const dirs: string[] = [];
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'content-filter-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store in memory that records what the filter asked of it. */
class RecordingStore implements ContentRuleStore {
  rules: ContentRule[] = [];
  readonly calls: string[] = [];
  listeners: ((rules: ContentRule[]) => void)[] = [];
  failAdd = false;
  current = true;
  async load(): Promise<ContentRule[]> {
    this.calls.push('load');
    return [...this.rules];
  }
  async add(rule: ContentRule): Promise<void> {
    this.calls.push('add');
    if (this.failAdd) throw new Error('store down');
    this.rules.push(rule);
  }
  async remove(id: string): Promise<boolean> {
    this.calls.push('remove');
    const before = this.rules.length;
    this.rules = this.rules.filter((rule) => rule.id !== id);
    return this.rules.length < before;
  }
  watch(onChange: (rules: ContentRule[]) => void): () => void {
    this.calls.push('watch');
    this.listeners.push(onChange);
    return () => {
      this.calls.push('unwatch');
      this.listeners = this.listeners.filter((listener) => listener !== onChange);
    };
  }
  assertCurrent(): void {
    if (!this.current) throw Object.assign(new Error('not current'), { status: 503 });
  }
  publish(): void {
    for (const listener of this.listeners) listener([...this.rules]);
  }
}

const stored = (fields: Partial<ContentRule> & Pick<ContentRule, 'id' | 'kind' | 'pattern'>): ContentRule => ({
  created_at: '2026-11-30T00:00:00.000Z',
  created_by: 'ann',
  ...fields,
});

describe('what the rules are matched against', () => {
  it('every string, number, boolean and key, however deep, in objects and arrays', async () => {
    const filter = new ContentFilter();
    const key = await filter.add({ kind: 'literal', pattern: 'forbidden_key' }, 'ann');
    expect(() => filter.check({ a: [{ b: { forbidden_key: 1 } }] })).toThrow(blockedBy(key.id));
    const number = await filter.add({ kind: 'regex', pattern: '^31337$', flags: 'm' }, 'ann');
    expect(() => filter.check({ a: [1, [2, [31337]]] })).toThrow(blockedBy(number.id));
    const boolean = await filter.add({ kind: 'regex', pattern: '^true$', flags: 'm' }, 'ann');
    expect(() => filter.check({ confirm: true })).toThrow(blockedBy(boolean.id));
    expect(() => filter.check({ confirm: false, n: 1, nothing: null })).not.toThrow();
  });

  it('array positions are not keys: a rule on "0" does not match a list', async () => {
    const filter = new ContentFilter();
    await filter.add({ kind: 'regex', pattern: '^[01]$', flags: 'm' }, 'ann');
    expect(() => filter.check({ list: ['a', 'b'] })).not.toThrow();
    expect(() => filter.check({ list: ['a', '1'] })).toThrow(expect.objectContaining({ code: 'content_blocked' }));
  });

  it('a missing value in the middle of the args does not end the walk', async () => {
    const filter = new ContentFilter();
    const rule = await filter.add({ kind: 'literal', pattern: 'evil' }, 'ann');
    expect(() => filter.check(['evil', undefined])).toThrow(blockedBy(rule.id));
    expect(() => filter.check(['evil', null])).toThrow(blockedBy(rule.id));
    expect(() => filter.check({ first: 'evil', second: undefined, third: null })).toThrow(blockedBy(rule.id));
    expect(() => filter.check([undefined, null, 0, '', false])).not.toThrow();
  });

  it('values are separate lines: a literal never spans two values, a multiline regex anchors on each', async () => {
    const filter = new ContentFilter();
    await filter.add({ kind: 'literal', pattern: 'rmrf' }, 'ann');
    expect(() => filter.check({ a: 'rm', b: 'rf' })).not.toThrow();
    const anchored = await filter.add({ kind: 'regex', pattern: '^/etc/shadow$', flags: 'm' }, 'ann');
    expect(() => filter.check({ path: '/etc/shadow', mode: 'r' })).toThrow(blockedBy(anchored.id));
    expect(() => filter.check({ path: '/etc/shadow.bak' })).not.toThrow();
  });

  it('a literal matches without case; a regex matches with case unless its flags say i', async () => {
    const filter = new ContentFilter();
    const literal = await filter.add({ kind: 'literal', pattern: 'Drop Table' }, 'ann');
    expect(() => filter.check('DROP TABLE users')).toThrow(blockedBy(literal.id));
    const other = new ContentFilter();
    await other.add({ kind: 'regex', pattern: 'secret-[0-9]+' }, 'ann');
    expect(() => other.check('SECRET-42')).not.toThrow();
    const caseless = await other.add({ kind: 'regex', pattern: 'secret-[0-9]+', flags: 'i' }, 'ann');
    expect(() => other.check('SECRET-42')).toThrow(blockedBy(caseless.id));
  });

  it('the first matching rule is named, and a call that matches none passes', async () => {
    const filter = new ContentFilter();
    const first = await filter.add({ kind: 'literal', pattern: 'alpha' }, 'ann');
    const second = await filter.add({ kind: 'literal', pattern: 'beta' }, 'ann');
    expect(() => filter.check('beta alpha')).toThrow(blockedBy(first.id));
    expect(() => filter.check('beta')).toThrow(blockedBy(second.id));
    expect(() => filter.check('gamma')).not.toThrow();
  });

  it('a stored regex with a stateful flag (g, y) matches every time, not every other time', async () => {
    const store = new RecordingStore();
    store.rules = [stored({ id: 'sticky01', kind: 'regex', pattern: 'evil', flags: 'gy' })];
    const filter = new ContentFilter({ store });
    await filter.load();
    for (let round = 0; round < 3; round += 1) expect(() => filter.check('evil'), `round ${round}`).toThrow(blockedBy('sticky01'));
    expect(() => filter.check('xevil')).toThrow(blockedBy('sticky01'));
  });

  it('a rule that runs out of time blocks the call and says so; the next call is checked afresh', async () => {
    const filter = new ContentFilter();
    const evil = await filter.add({ kind: 'regex', pattern: '(a+)+$' }, 'ann', { allowUnsafe: true });
    expect(() => filter.check(`${'a'.repeat(40)}!`)).toThrow(
      expect.objectContaining({ status: 403, code: 'content_blocked', details: { rule_id: evil.id }, message: expect.stringMatching(/took too long/) }),
    );
    expect(() => filter.check('aaa')).toThrow(expect.objectContaining({ message: expect.stringMatching(/blocked by content-filter rule/) }));
    expect(() => filter.check('bbb')).not.toThrow();
  });
});

describe('adding rules', () => {
  it('the input schema: two kinds, a pattern of 1 to 1000 characters, flags among i m s u, nothing else', () => {
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: 'x' }).success).toBe(true);
    expect(contentRuleInputSchema.safeParse({ kind: 'regex', pattern: 'x', flags: 'imsu', description: 'd' }).success).toBe(true);
    expect(contentRuleInputSchema.safeParse({ kind: 'glob', pattern: 'x' }).success).toBe(false);
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: '' }).success).toBe(false);
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: 'x'.repeat(1000) }).success).toBe(true);
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: 'x'.repeat(1001) }).success).toBe(false);
    const gFlag = contentRuleInputSchema.safeParse({ kind: 'regex', pattern: 'x', flags: 'g' });
    expect(gFlag.success).toBe(false);
    expect(gFlag.error?.issues[0]?.message).toBe('flags may be i, m, s, u');
    expect(contentRuleInputSchema.safeParse({ kind: 'regex', pattern: 'x', flags: 'iiiii' }).success).toBe(false);
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: 'x', description: 'd'.repeat(501) }).success).toBe(false);
    expect(contentRuleInputSchema.safeParse({ kind: 'literal', pattern: 'x', id: 'mine' }).success).toBe(false);
  });

  it('records who added the rule and when, under a short id of its own', async () => {
    const filter = new ContentFilter();
    const before = Date.now();
    const rule = await filter.add({ kind: 'literal', pattern: 'x', description: 'why' }, 'ann');
    expect(rule).toEqual({ kind: 'literal', pattern: 'x', description: 'why', id: expect.stringMatching(/^[0-9a-f]{8}$/), created_at: expect.any(String), created_by: 'ann' });
    expect(Date.parse(rule.created_at)).toBeGreaterThanOrEqual(before - 1000);
    const other = await filter.add({ kind: 'literal', pattern: 'x' }, 'bob');
    expect(other.id).not.toBe(rule.id);
    expect(filter.list()).toEqual([rule, other]);
  });

  it('refuses an invalid regex and one that backtracks catastrophically (400), unless told the risk is taken', async () => {
    const filter = new ContentFilter();
    await expect(filter.add({ kind: 'regex', pattern: '[' }, 'ann')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^invalid regular expression: /) });
    await expect(filter.add({ kind: 'regex', pattern: 'a', flags: 'q' }, 'ann')).rejects.toMatchObject({ status: 400 });
    await expect(filter.add({ kind: 'regex', pattern: '(x+x+)+y' }, 'ann')).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/backtrack/) });
    await expect(filter.add({ kind: 'regex', pattern: '(x+x+)+y' }, 'ann', { allowUnsafe: false })).rejects.toMatchObject({ status: 400 });
    expect(filter.list()).toEqual([]);
    await expect(filter.add({ kind: 'regex', pattern: '(x+x+)+y' }, 'ann', { allowUnsafe: true })).resolves.toMatchObject({ kind: 'regex' });
    // A literal is never parsed as a regex.
    await expect(filter.add({ kind: 'literal', pattern: '(a+)+[' }, 'ann')).resolves.toMatchObject({ kind: 'literal' });
    expect(() => filter.check('(a+)+[')).toThrow(expect.objectContaining({ code: 'content_blocked' }));
  });
});

describe('where the rules live', () => {
  it('in a file: added and removed rules survive a restart; removing an unknown id is 404', async () => {
    const path = join(scratch(), 'content-rules.json');
    const filter = new ContentFilter(path);
    await filter.load();
    expect(filter.list()).toEqual([]);
    const kept = await filter.add({ kind: 'literal', pattern: 'kept' }, 'ann');
    const dropped = await filter.add({ kind: 'regex', pattern: 'dropped', flags: 'i' }, 'ann');
    await filter.remove(dropped.id);
    await expect(filter.remove(dropped.id)).rejects.toMatchObject({ status: 404, code: 'not_found', message: `no content-filter rule "${dropped.id}"` });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, rules: [kept] });
    const restarted = new ContentFilter({ path });
    await restarted.load();
    expect(restarted.list()).toEqual([kept]);
    expect(() => restarted.check('KEPT')).toThrow(blockedBy(kept.id));
    expect(() => restarted.check('dropped')).not.toThrow();
  });

  it('a file that is not valid JSON is an error at load, not an empty rule set', async () => {
    const path = join(scratch(), 'content-rules.json');
    writeFileSync(path, '{ not json');
    await expect(new ContentFilter(path).load()).rejects.toThrow(/not valid JSON/);
  });

  it('in a shared store: written there first; a rule the store refused is not in force here', async () => {
    const store = new RecordingStore();
    const ignored = join(scratch(), 'ignored.json');
    const filter = new ContentFilter({ store, path: ignored });
    await filter.load();
    store.failAdd = true;
    await expect(filter.add({ kind: 'literal', pattern: 'lost' }, 'ann')).rejects.toThrow('store down');
    expect(filter.list()).toEqual([]);
    expect(() => filter.check('lost')).not.toThrow();
    store.failAdd = false;
    const rule = await filter.add({ kind: 'literal', pattern: 'gone' }, 'ann');
    const stays = await filter.add({ kind: 'literal', pattern: 'stays' }, 'ann');
    expect(store.rules).toEqual([rule, stays]);
    await filter.remove(rule.id);
    expect(store.rules).toEqual([stays]);
    expect(filter.list()).toEqual([stays]);
    await expect(filter.remove(rule.id)).rejects.toMatchObject({ status: 404, message: `no content-filter rule "${rule.id}"` });
    // The store takes the place of the file: nothing is written beside it.
    expect(existsSync(ignored)).toBe(false);
  });

  it('a rule the store already announced while it was being added is in force once, not twice', async () => {
    const store = new RecordingStore();
    const filter = new ContentFilter({ store });
    await filter.load();
    // A store that tells its watchers as soon as it has stored (as Redis pub/sub can, before add returns here).
    const add = store.add.bind(store);
    store.add = async (rule) => {
      await add(rule);
      store.publish();
    };
    const rule = await filter.add({ kind: 'literal', pattern: 'once' }, 'ann');
    expect(filter.list()).toEqual([rule]);
  });

  it('a minimal store (no watch, no assertCurrent) and no store at all both work', async () => {
    const rules: ContentRule[] = [stored({ id: 'minimal1', kind: 'literal', pattern: 'minimal' })];
    const minimal: ContentRuleStore = {
      load: async () => rules,
      add: async (rule) => void rules.push(rule),
      remove: async () => false,
    };
    const filter = new ContentFilter({ store: minimal });
    await filter.load();
    expect(() => filter.check('minimal')).toThrow(blockedBy('minimal1'));
    expect(() => filter.check('fine')).not.toThrow();
    filter.close();
    const inMemory = new ContentFilter();
    await expect(inMemory.load()).resolves.toBeUndefined();
    expect(inMemory.list()).toEqual([]);
  });

  it('a shared store\'s changes from other processes take effect at once; close stops following them', async () => {
    const store = new RecordingStore();
    const filter = new ContentFilter({ store });
    await filter.load();
    await filter.load();
    expect(store.calls.filter((call) => call === 'watch')).toHaveLength(1);
    store.rules = [stored({ id: 'remote01', kind: 'literal', pattern: 'remote' })];
    store.publish();
    expect(() => filter.check('remote')).toThrow(blockedBy('remote01'));
    filter.close();
    expect(store.calls).toContain('unwatch');
    store.rules = [];
    store.publish();
    expect(() => filter.check('remote')).toThrow(blockedBy('remote01'));
    filter.close();
    expect(store.calls.filter((call) => call === 'unwatch')).toHaveLength(1);
  });

  it('rules a shared store cannot vouch for refuse every call, even when there are none', async () => {
    const store = new RecordingStore();
    const filter = new ContentFilter({ store });
    await filter.load();
    store.current = false;
    expect(() => filter.check('anything')).toThrow(expect.objectContaining({ status: 503 }));
    store.current = true;
    expect(() => filter.check('anything')).not.toThrow();
  });
});
