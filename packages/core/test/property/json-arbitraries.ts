import fc from 'fast-check';

/**
 * A JSON document as a tree we serialise ourselves, so it can hold what `JSON.stringify` of a
 * JavaScript object cannot: duplicate keys, an own `__proto__` key, number literals that parse
 * to Infinity or lose precision, and lone surrogates.
 */
export type JsonTree =
  | { readonly t: 'literal'; readonly value: null | boolean | number | string }
  | { readonly t: 'raw'; readonly text: string }
  | { readonly t: 'array'; readonly items: readonly JsonTree[] }
  | { readonly t: 'object'; readonly entries: ReadonlyArray<readonly [string, JsonTree]> };

export function serialise(tree: JsonTree): string {
  switch (tree.t) {
    case 'literal':
      return JSON.stringify(tree.value);
    case 'raw':
      return tree.text;
    case 'array':
      return `[${tree.items.map(serialise).join(',')}]`;
    case 'object':
      return `{${tree.entries.map(([key, value]) => `${JSON.stringify(key)}:${serialise(value)}`).join(',')}}`;
  }
}

/** A plain JSON value as a tree (for the valid bodies the mutations start from). */
export function treeOf(value: unknown): JsonTree {
  if (Array.isArray(value)) return { t: 'array', items: value.map(treeOf) };
  if (value !== null && typeof value === 'object') return { t: 'object', entries: Object.entries(value).map(([k, v]) => [k, treeOf(v)] as const) };
  return { t: 'literal', value: value as null | boolean | number | string };
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Strings that have broken parsers before: unicode of every width, lone surrogates, control characters, very long. */
export const strings = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('\u0000', '\u2028', '\ufeff', '\ud83d\ude00', '"', '\\')) }),
  fc.string({ minLength: 300, maxLength: 3000 }),
);

/** Keys that mean something to JavaScript objects, beside arbitrary ones. */
export const keys = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', 'length', 'polluted', '') },
  { weight: 3, arbitrary: strings },
);

/** Number literals JSON allows that JavaScript reads oddly (Infinity, -0, lost precision). */
const oddNumbers = fc.constantFrom('1e400', '-1e400', '-0', '1E-400', '123456789012345678901234567890', '0.1e1', '-0.0e-0');

export const leaves: fc.Arbitrary<JsonTree> = fc.oneof(
  fc.constant<JsonTree>({ t: 'literal', value: null }),
  fc.boolean().map((value): JsonTree => ({ t: 'literal', value })),
  fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.maxSafeInteger()).map((value): JsonTree => ({ t: 'literal', value })),
  strings.map((value): JsonTree => ({ t: 'literal', value })),
  oddNumbers.map((text): JsonTree => ({ t: 'raw', text })),
);

export const trees: fc.Arbitrary<JsonTree> = fc.letrec<{ tree: JsonTree; array: JsonTree; object: JsonTree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaves, tie('array'), tie('object')),
  array: fc.array(tie('tree'), { maxLength: 5 }).map((items): JsonTree => ({ t: 'array', items })),
  object: fc.array(fc.tuple(keys, tie('tree')), { maxLength: 5 }).map((entries): JsonTree => ({ t: 'object', entries })),
})).tree;

/** The two shapes that pollute prototypes through a naive merge. */
export const pollution: fc.Arbitrary<JsonTree> = fc.constantFrom(
  treeOf({ polluted: true }),
  { t: 'object', entries: [['__proto__', treeOf({ polluted: true })]] },
  { t: 'object', entries: [['constructor', treeOf({ prototype: { polluted: true } })]] },
  { t: 'object', entries: [['prototype', treeOf({ polluted: true })]] },
);

/** `value` wrapped in `depth` arrays or objects: around and far beyond the 64-level limit. */
export const deep: fc.Arbitrary<JsonTree> = fc
  .tuple(fc.oneof(fc.integer({ min: 60, max: 68 }), fc.integer({ min: 1, max: 1500 })), fc.boolean(), keys, leaves)
  .map(([depth, asArray, key, leaf]) => {
    let tree = leaf;
    for (let i = 0; i < depth; i++) tree = asArray ? { t: 'array', items: [tree] } : { t: 'object', entries: [[key, tree]] };
    return tree;
  });
