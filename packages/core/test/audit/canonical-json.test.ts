import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonBySorting } from '../../src/audit/canonical-json.js';

// The exact bytes each audit entry's hash covers (issue 24: the mutants of canonical-json.ts). The
// property test holds the fast writer to the sorting definition; these pin the definition itself, so
// a change to both at once (a key order, an escape, a dropped field) cannot pass unnoticed. Each input
// comes in the order the engine would serialise as is and, where it matters, out of order, which the
// hand-written writer serialises.

/** The text, after checking that the definition gives the same. */
function canonical(value: unknown): string {
  const text = canonicalJson(value);
  expect(canonicalJsonBySorting(value)).toBe(text);
  return text;
}

describe('scalars', () => {
  it('numbers as JSON writes them; NaN and the infinities as null', () => {
    expect(canonical(0)).toBe('0');
    expect(canonical(-0)).toBe('0');
    expect(canonical(-12.5)).toBe('-12.5');
    expect(canonical(1e21)).toBe('1e+21');
    expect(canonical(5e-7)).toBe('5e-7');
    expect(canonical(Number.NaN)).toBe('null');
    expect(canonical(-Infinity)).toBe('null');
    expect(canonical([Number.NaN, Infinity, 2])).toBe('[null,null,2]');
  });

  it('true, false and null', () => {
    expect(canonical(true)).toBe('true');
    expect(canonical(false)).toBe('false');
    expect(canonical(null)).toBe('null');
    expect(canonical({ b: null, a: false, c: true })).toBe('{"a":false,"b":null,"c":true}');
  });

  it('strings escaped as JSON does: quotes, backslashes, control characters, lone surrogates; the rest as is', () => {
    expect(canonical('say "hi"\\ now')).toBe('"say \\"hi\\"\\\\ now"');
    expect(canonical('a\nb\tc\u0000\u001f')).toBe('"a\\nb\\tc\\u0000\\u001f"');
    expect(canonical('\ud800 and \udfff')).toBe('"\\ud800 and \\udfff"');
    expect(canonical('é \u2028 \u007f 😀')).toBe('"é \u2028 \u007f 😀"');
    expect(canonical({ z: 'x', 'a"b\n': '\\' })).toBe('{"a\\"b\\n":"\\\\","z":"x"}');
  });

  it('undefined, a function and a symbol have no text; a BigInt is refused', () => {
    expect(canonicalJson(undefined)).toBeUndefined();
    expect(canonicalJson(() => 1)).toBeUndefined();
    expect(canonicalJson(Symbol('s'))).toBeUndefined();
    expect(() => canonicalJson(1n)).toThrow(TypeError);
    expect(() => canonicalJson({ b: 1, a: [2n] })).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1, b: { n: 2n } })).toThrow(TypeError);
  });

  it('a BigInt given a toJSON (as some polyfills do) is written as the definition writes what it returns, keys sorted', () => {
    Object.defineProperty(BigInt.prototype, 'toJSON', { value: () => ({ b: 2, a: 1 }), configurable: true, writable: true });
    try {
      expect(canonical({ n: 1n })).toBe('{"n":{"a":1,"b":2}}');
      expect(canonical([1n])).toBe('[{"a":1,"b":2}]');
    } finally {
      Reflect.deleteProperty(BigInt.prototype, 'toJSON');
    }
  });

  it('an empty key first, in order, is written as it is', () => {
    expect(canonical({ '': 1, a: { '': 2 } })).toBe('{"":1,"a":{"":2}}');
  });
});

describe('objects', () => {
  it('keys sorted by UTF-16 code unit at every depth, no whitespace', () => {
    expect(canonical({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(canonical({ é: 1, z: 2, Z: 3, _: 4, '': 5, a: 6 })).toBe('{"":5,"Z":3,"_":4,"a":6,"z":2,"é":1}');
    expect(canonical({ y: { d: [{ z: 1, y: 2 }], c: {} }, x: [] })).toBe('{"x":[],"y":{"c":{},"d":[{"y":2,"z":1}]}}');
    expect(canonical({})).toBe('{}');
  });

  it('array-index keys first, by number, then the other keys sorted (what an object copy keeps)', () => {
    expect(canonical({ b: 1, '10': 2, '9': 3, a: 4, '0': 5 })).toBe('{"0":5,"9":3,"10":2,"a":4,"b":1}');
    expect(canonical({ '5': 1, '123': 2, '4294967294': 3 })).toBe('{"5":1,"123":2,"4294967294":3}');
    expect(canonical({ '100': 1, '20': 2, '3': 3, x: 4 })).toBe('{"3":3,"20":2,"100":1,"x":4}');
    // Not indexes: a leading zero, a sign, a fraction, past the largest index (2^32 - 2), too many digits.
    expect(canonical({ '01': 1, '00': 2, '5': 3, a: 4 })).toBe('{"5":3,"00":2,"01":1,"a":4}');
    expect(canonical({ '1.5': 1, '-1': 2, '5': 3 })).toBe('{"5":3,"-1":2,"1.5":1}');
    expect(canonical({ '4294967295': 1, '00': 2 })).toBe('{"00":2,"4294967295":1}');
    expect(canonical({ '42949672950': 1, '00': 2, '7': 3 })).toBe('{"7":3,"00":2,"42949672950":1}');
    expect(canonical({ '1a': 1, '0a': 2, '9': 3 })).toBe('{"9":3,"0a":2,"1a":1}');
    expect(canonical({ ':': 1, '/': 2, '9': 3, '0': 4 })).toBe('{"0":4,"9":3,"/":2,":":1}');
  });

  it('undefined, function and symbol fields are left out, with no stray comma', () => {
    expect(canonical({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(canonical({ c: 2, a: undefined, b: 1 })).toBe('{"b":1,"c":2}');
    expect(canonical({ d: () => 1, c: Symbol('s'), b: undefined })).toBe('{}');
    expect(canonical({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonical({ z: 1, a: { toJSON: () => undefined }, b: 2 })).toBe('{"b":2,"z":1}');
  });

  it('an own __proto__ key (JSON.parse makes one) is written as the field it is, in its sorted place', () => {
    expect(canonical(JSON.parse('{"b":1,"__proto__":{"x":1},"a":2}'))).toBe('{"__proto__":{"x":1},"a":2,"b":1}');
    expect(canonical(JSON.parse('{"__proto__":1,"a":2}'))).toBe('{"__proto__":1,"a":2}');
    expect(canonical(JSON.parse('{"a":{"__proto__":[{"b":1,"a":2}]},"_":0}'))).toBe('{"_":0,"a":{"__proto__":[{"a":2,"b":1}]}}');
  });

  it('an object with no prototype is sorted like a plain one', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.b = 1;
    bare.a = { d: 1, c: 2 };
    expect(canonical(bare)).toBe('{"a":{"c":2,"d":1},"b":1}');
    expect(canonical({ y: bare, x: 0 })).toBe('{"x":0,"y":{"a":{"c":2,"d":1},"b":1}}');
  });

  it("toJSON's result is what is written, sorted", () => {
    expect(canonical({ toJSON: () => ({ b: 1, a: 2 }) })).toBe('{"a":2,"b":1}');
    expect(canonical({ toJSON: () => 'as text' })).toBe('"as text"');
    expect(canonical({ a: 1, toJSON: () => [3] })).toBe('[3]');
    expect(canonical({ z: new Date(0), a: 1 })).toBe('{"a":1,"z":"1970-01-01T00:00:00.000Z"}');
    expect(canonical({ toJSON: () => ({ b: null, a: [undefined, null], c: undefined }) })).toBe('{"a":[null,null],"b":null}');
  });

  it("a class instance keeps its own field order (the definition sorts plain objects only); a Map has no fields", () => {
    class Pair {
      b = 1;
      a = { d: 1, c: 2 };
    }
    expect(canonical(new Pair())).toBe('{"b":1,"a":{"c":2,"d":1}}');
    expect(canonical({ z: new Pair(), y: 0 })).toBe('{"y":0,"z":{"b":1,"a":{"c":2,"d":1}}}');
    expect(canonical(new Map([['a', 1]]))).toBe('{}');
    expect(canonical(new Uint8Array([1, 2]))).toBe('{"0":1,"1":2}');
  });
});

describe('arrays', () => {
  it('in order, nested, each element canonical; no text becomes null', () => {
    expect(canonical([])).toBe('[]');
    expect(canonical([[], [[1, { b: 1, a: 2 }]], {}])).toBe('[[],[[1,{"a":2,"b":1}]],{}]');
    expect(canonical([3, { b: 1, a: 2 }, 'x'])).toBe('[3,{"a":2,"b":1},"x"]');
    expect(canonical([undefined, () => 1, Symbol('s'), { toJSON: () => undefined }, { b: 0, a: 0 }])).toBe('[null,null,null,null,{"a":0,"b":0}]');
    expect(canonical([{ toJSON: () => undefined }])).toBe('[null]');
  });

  it('an Array subclass is written as an array', () => {
    class Items extends Array<unknown> {}
    const items = new Items();
    items.push({ b: 1, a: 2 }, 3);
    expect(canonical(items)).toBe('[{"a":2,"b":1},3]');
    expect(canonical({ b: items, a: 1 })).toBe('{"a":1,"b":[{"a":2,"b":1},3]}');
  });

  it('an array with no prototype is still written as an array, not as an object of indexes', () => {
    const bare = Object.setPrototypeOf([{ b: 1, a: 2 }, 3], null) as unknown;
    expect(canonical(bare)).toBe('[{"a":2,"b":1},3]');
    expect(canonical({ b: bare, a: 1 })).toBe('{"a":1,"b":[{"a":2,"b":1},3]}');
  });
});

describe('limits', () => {
  it('a cycle is refused: through an array as JSON.stringify refuses it, through objects by the stack (each sorted copy is new)', () => {
    const viaArray: Record<string, unknown> = { z: 1 };
    viaArray.b = [viaArray];
    expect(() => canonicalJson(viaArray)).toThrow(TypeError);
    expect(() => canonicalJson(viaArray)).toThrow(/circular/i);
    expect(() => canonicalJson([viaArray])).toThrow(/circular/i);
    // Keys in order: the check that lets the engine write a value whole must also stop at the cycle.
    const orderedViaArray: Record<string, unknown> = { a: 1 };
    orderedViaArray.b = [orderedViaArray];
    expect(() => canonicalJson(orderedViaArray)).toThrow(/circular/i);
    const ordered: Record<string, unknown> = { a: 1 };
    ordered.self = ordered;
    expect(() => canonicalJson(ordered)).toThrow();
    expect(() => canonicalJsonBySorting(ordered)).toThrow();
  });

  it('a deep value that is no cycle is written whole', () => {
    let ordered: unknown = 'leaf';
    let unordered: unknown = 'leaf';
    for (let i = 0; i < 300; i += 1) {
      ordered = { a: [ordered] };
      unordered = { z: unordered, a: i };
    }
    expect(canonical(ordered)).toBe(`${'{"a":['.repeat(300)}"leaf"${']}'.repeat(300)}`);
    const text = canonical(unordered);
    expect(text.startsWith('{"a":299,"z":{"a":298,"z":')).toBe(true);
    expect(text.endsWith('{"a":0,"z":"leaf"}' + '}'.repeat(299))).toBe(true);
  });

  it('an unsorted object deeper than the in-order check looks is still sorted', () => {
    let value: unknown = { b: 1, a: 2 };
    for (let i = 0; i < 250; i += 1) value = { a: [value] };
    expect(canonical(value)).toBe(`${'{"a":['.repeat(250)}{"a":2,"b":1}${']}'.repeat(250)}`);
  });
});
