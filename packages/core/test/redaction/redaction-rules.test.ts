import { describe, expect, it } from 'vitest';
import { RedactionRules, redactionFieldSchema, redactionFieldsSchema } from '../../src/redaction/index.js';

// Each form of an origin's redaction rule (issue 24: the mutants of redaction-rules.ts): a name at any
// depth, a dotted path matched as the end of the keys leading to a value, what stays, the depth cap, and
// how the rules are loaded, set, followed and kept by the file, memory and shared stores.

const R = '[REDACTED]';
const BANK = 'https://bank.example';

async function rulesFor(fields: string[]): Promise<RedactionRules> {
  const rules = new RedactionRules();
  await rules.set(BANK, fields);
  return rules;
}

describe('a field', () => {
  it.each(['password', 'card.number', 'A9', 'a_b$c@d-e', 'x.y.z', 'x'.repeat(200)])('accepts %j', (field) => {
    expect(redactionFieldSchema.safeParse(field).success).toBe(true);
  });

  it.each(['', '.a', 'a.', 'a..b', 'a b', 'a/b', 'card[number]', 'pass\nword', 'x'.repeat(201)])('refuses %j', (field) => {
    expect(redactionFieldSchema.safeParse(field).success).toBe(false);
  });

  it('says what a field looks like, and a list holds at most 500', () => {
    expect(redactionFieldSchema.safeParse('a b').error?.issues[0]?.message).toBe('expected a field name or a dotted path such as card.number');
    expect(redactionFieldsSchema.safeParse(Array.from({ length: 500 }, (_, i) => `f${i}`)).success).toBe(true);
    expect(redactionFieldsSchema.safeParse(Array.from({ length: 501 }, (_, i) => `f${i}`)).success).toBe(false);
  });
});

describe('redact: names', () => {
  it('a name matches its key at any depth, in arrays, without case either way, and hides the whole value', async () => {
    const rules = await rulesFor(['Password', 'token']);
    expect(rules.redact(BANK, { password: 'a', PASSWORD: 'b', nested: [{ x: { PassWord: 'c' } }], Token: { id: 1, parts: ['t'] } })).toEqual({
      password: R,
      PASSWORD: R,
      nested: [{ x: { PassWord: R } }],
      Token: R,
    });
  });

  it('what no rule names is kept as it was, nulls and other scalars included', async () => {
    const rules = await rulesFor(['password']);
    const value = { a: null, b: 0, c: false, d: 'text', e: [null, 1, 'two', [true]], f: {} };
    expect(rules.redact(BANK, value)).toEqual(value);
    expect(rules.redact(BANK, null)).toBeNull();
    expect(rules.redact(BANK, 'password')).toBe('password');
    expect(rules.redact(BANK, [{ password: 1 }, 'password'])).toEqual([{ password: R }, 'password']);
  });

  it('returns a copy and leaves the input as it was', async () => {
    const rules = await rulesFor(['password']);
    const value = { inner: { password: 'p', keep: 1 } };
    const out = rules.redact(BANK, value);
    expect(out).not.toBe(value);
    expect(out).toEqual({ inner: { password: R, keep: 1 } });
    expect(value.inner.password).toBe('p');
  });

  it('an origin with no rules, or with another spelling than its normalised one, is not touched', async () => {
    const rules = await rulesFor(['password']);
    const value = { password: 'p' };
    expect(rules.redact('https://other.example', value)).toBe(value);
    expect(rules.redact(BANK, value)).toEqual({ password: R });
  });

  it('an own __proto__ key stays a field of the copy, redacted inside, and the copy keeps its prototype', async () => {
    const rules = await rulesFor(['password']);
    const out = rules.redact(BANK, JSON.parse('{"__proto__":{"password":"p","keep":1},"a":2}')) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    // A field like any other: the copy is handed on, and whoever holds it may change it.
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')).toEqual({ value: { password: R, keep: 1 }, enumerable: true, writable: true, configurable: true });
    expect(JSON.stringify(out)).toBe('{"__proto__":{"password":"[REDACTED]","keep":1},"a":2}');
  });
});

describe('redact: dotted paths', () => {
  it('match the whole key sequence, at the top or at the end of a longer one, arrays left out', async () => {
    const rules = await rulesFor(['card.number']);
    expect(rules.redact(BANK, { card: { number: '4111', expiry: '12/30' } })).toEqual({ card: { number: R, expiry: '12/30' } });
    expect(rules.redact(BANK, { order: { card: { number: '4111' } } })).toEqual({ order: { card: { number: R } } });
    expect(rules.redact(BANK, { cards: [{ card: [{ number: '4111' }] }] })).toEqual({ cards: [{ card: [{ number: R }] }] });
    expect(rules.redact(BANK, { CARD: { Number: { last4: '1111' } } })).toEqual({ CARD: { Number: R } });
  });

  it('do not match a part of the path alone, the parts reversed or apart, or keys past the path', async () => {
    const rules = await rulesFor(['card.number']);
    const kept = {
      number: '1',
      card: { cvc: '2', numbers: '3', holder: { number: '4' } },
      other: { number: '5' },
      number2: { card: '6' },
      numberx: { card: { x: '7' } },
      list: [{ number: { card: '8' } }],
    };
    expect(rules.redact(BANK, kept)).toEqual(kept);
  });

  it('several paths and names together: each applies on its own', async () => {
    const rules = await rulesFor(['a.b', 'c.d', 'x.y.z', 'secret']);
    expect(rules.redact(BANK, { c: { d: 1, e: 2 }, a: { b: 3 }, x: { y: { z: 4, w: 5 }, z: 6 }, y: { z: 7 }, q: { secret: 8 } })).toEqual({
      c: { d: R, e: 2 },
      a: { b: R },
      x: { y: { z: R, w: 5 }, z: 6 },
      y: { z: 7 },
      q: { secret: R },
    });
  });

  it('a name is not a path and a path is not a name', async () => {
    const rules = await rulesFor(['number']);
    expect(rules.redact(BANK, { card: { number: 1 } })).toEqual({ card: { number: R } });
    const pathOnly = await rulesFor(['card.number']);
    expect(pathOnly.redact(BANK, { 'card.number': 1, card: 2 })).toEqual({ 'card.number': 1, card: 2 });
  });
});

describe('redact: depth', () => {
  /** `levels` objects nested under `n`, the innermost holding `leaf`. */
  function nested(levels: number, leaf: unknown): unknown {
    let value = leaf;
    for (let i = 0; i < levels; i += 1) value = { n: value };
    return value;
  }

  it('walks objects to 100 levels under the top and replaces what lies deeper, arrays counting as a level', async () => {
    const rules = await rulesFor(['password']);
    expect(rules.redact(BANK, nested(100, { password: 'p', keep: 1 }))).toEqual(nested(100, { password: R, keep: 1 }));
    expect(rules.redact(BANK, nested(100, { keep: 1 }))).toEqual(nested(100, { keep: 1 }));
    expect(rules.redact(BANK, nested(101, { keep: 1 }))).toEqual(nested(100, { n: R }));
    expect(rules.redact(BANK, nested(101, 'a scalar is kept at any depth'))).toEqual(nested(101, 'a scalar is kept at any depth'));
    expect(rules.redact(BANK, nested(100, [{ keep: 1 }]))).toEqual(nested(100, [R]));
    expect(rules.redact(BANK, nested(99, [{ keep: 1 }]))).toEqual(nested(99, [{ keep: 1 }]));
    expect(rules.redact(BANK, nested(200, 'deep'))).toEqual(nested(100, { n: R }));
  });
});

describe('setting, reading and listing rules', () => {
  it('set normalises the origin, drops repeated fields, and returns what it stored', async () => {
    const rules = new RedactionRules();
    expect(await rules.set('HTTPS://Bank.Example:443/', ['a', 'b', 'a'])).toEqual({ origin: BANK, fields: ['a', 'b'] });
    expect(await rules.get('https://BANK.example')).toEqual({ origin: BANK, fields: ['a', 'b'] });
    expect(rules.redact(BANK, { a: 1, b: 2, c: 3 })).toEqual({ a: R, b: R, c: 3 });
    await expect(rules.set('bank.example', ['a'])).rejects.toMatchObject({ status: 400 });
  });

  it('a new list replaces the old one; an empty list removes the origin', async () => {
    const rules = await rulesFor(['a']);
    await rules.set(BANK, ['b']);
    expect(rules.redact(BANK, { a: 1, b: 2 })).toEqual({ a: 1, b: R });
    await rules.set(BANK, []);
    expect(rules.redact(BANK, { b: 2 })).toEqual({ b: 2 });
    expect(await rules.list()).toEqual([]);
    expect(await rules.get(BANK)).toEqual({ origin: BANK, fields: [] });
  });

  it('list gives every origin sorted, and get and list hand out copies', async () => {
    const rules = new RedactionRules();
    await rules.set('https://c.example', ['z']);
    await rules.set('https://a.example', ['x']);
    await rules.set('https://b.example', ['y']);
    const listed = await rules.list();
    expect(listed).toEqual([
      { origin: 'https://a.example', fields: ['x'] },
      { origin: 'https://b.example', fields: ['y'] },
      { origin: 'https://c.example', fields: ['z'] },
    ]);
    listed[0]?.fields.push('more');
    (await rules.get('https://b.example')).fields.push('more');
    expect(await rules.list()).toEqual([
      { origin: 'https://a.example', fields: ['x'] },
      { origin: 'https://b.example', fields: ['y'] },
      { origin: 'https://c.example', fields: ['z'] },
    ]);
  });
});
