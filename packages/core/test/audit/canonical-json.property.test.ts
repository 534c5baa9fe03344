import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBySorting } from '../../src/audit/canonical-json.js';
import { keys, strings } from '../property/json-arbitraries.js';

/**
 * The audit chain hashes canonicalJson's text, and logs written by earlier versions must still verify:
 * the fast writer has to give, byte for byte, the text of the definition (JSON.stringify of a copy
 * with sorted keys) for every value, odd ones included.
 */
class Money {
  constructor(readonly amount: number) {}
}

const odd = fc.constantFrom<unknown>(
  undefined,
  Number.NaN,
  Infinity,
  -0,
  new Date(0),
  new Money(5),
  { toJSON: () => ({ b: 1, a: 2 }) },
  () => 1,
  Symbol('s'),
  new Uint8Array([1, 2]),
  new Map([['a', 1]]),
  Object.create(null) as object,
);

/** Both give the same text, or both throw (a sorted copy can throw too: an own `__proto__` then a key its new prototype only has a getter for). */
function expectSameAsDefinition(value: unknown): void {
  let expected: string;
  try {
    expected = canonicalJsonBySorting(value);
  } catch {
    expect(() => canonicalJson(value)).toThrow();
    return;
  }
  expect(canonicalJson(value)).toBe(expected);
}

const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    strings,
    odd,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('canonicalJson', () => {
  it('gives the same text as JSON.stringify of a key-sorted copy, for any value', () => {
    fc.assert(
      fc.property(values, (value) => {
        expectSameAsDefinition(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same text when objects are already in canonical order (the engine serialises those)', () => {
    fc.assert(
      fc.property(values, (value) => {
        let text: string | undefined;
        try {
          text = canonicalJsonBySorting(value);
        } catch {
          return;
        }
        if (text === undefined) return;
        expectSameAsDefinition(JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps an own __proto__ key out, as the sorted copy did', () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":1},"a":[{"__proto__":2}]}') as unknown;
    expectSameAsDefinition(value);
    expectSameAsDefinition(JSON.parse('{"":{"__proto__":[1,2],"length":null}}'));
  });

  it('throws on a cycle and a BigInt, as the definition does (callers scrub cycles away first)', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(() => canonicalJsonBySorting(cycle)).toThrow();
    expect(() => canonicalJson(cycle)).toThrow();
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: { d: 1, c: [{ z: 1, y: 2 }] }, a: 'x' })).toBe('{"a":"x","b":{"c":[{"y":2,"z":1}],"d":1}}');
  });
});
