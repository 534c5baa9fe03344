function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The definition: JSON.stringify with every plain object's keys sorted. Kept for the values the fast
 * writer below does not handle itself (a `toJSON`, a class instance), so both give
 * the same text for every value: the audit chain's hashes depend on it.
 */
function canonicalBySorting(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, current: unknown) => {
    if (!isPlainObject(current)) return current;
    // Without a prototype, an own `__proto__` key (JSON.parse makes one; the HTTP and MCP endpoints refuse it, an in-process caller may not) is assigned
    // as a field. On a `{}` it would set the copy's prototype instead, and drop out of the text: out of
    // the audit entry and its hash, and out of an approval's digest, while the tool still received it.
    const sorted: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(current).sort()) sorted[key] = current[key];
    return sorted;
  });
}

const MAX_DEPTH = 200;

/** `0`, `1`, ... `4294967294`: keys a JavaScript object keeps first, in numeric order, whatever their insertion order. */
function isArrayIndex(key: string): boolean {
  return startsWithDigit(key) && /^(?:0|[1-9][0-9]{0,9})$/.test(key) && Number(key) < 4294967295;
}

/** The order of `Object.keys` of a copy made in sorted order: array indexes first (by number), then the rest sorted. */
function sortLikeObjectKeys(keys: string[]): void {
  keys.sort();
  if (!keys.some(isArrayIndex)) return;
  const indexes = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  const names = keys.filter((key) => !isArrayIndex(key));
  keys.splice(0, keys.length, ...indexes, ...names);
}

/**
 * Writes `value` straight into text, with no sorted copy of each object (the audit log serialises
 * every entry on the hot path). Anything unusual is handed to the definition above.
 */
function write(value: unknown, depth: number): string | undefined {
  // Far deeper than any entry: a cycle, which the definition reports as JSON.stringify does.
  // Stryker disable next-line EqualityOperator: equivalent, handing over to the definition a level sooner or later gives the same text
  if (depth > MAX_DEPTH) return canonicalBySorting(value);
  // Each case only saves work: a value that falls through to another is written with the same text.
  switch (typeof value) {
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, see above
    case 'string':
      return JSON.stringify(value);
    // Stryker disable next-line StringLiteral: equivalent, see above
    case 'number':
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, see above
    case 'boolean':
      return JSON.stringify(value);
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, see above
    case 'object':
      break;
    // Stryker disable next-line ConditionalExpression: equivalent, see above
    default:
      return canonicalBySorting(value);
  }
  if (value === null) return 'null';
  // A subtree already in order (the gateway's own fields, most args) is left to the engine's serialiser.
  if (isInCanonicalOrder(value, depth)) return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalBySorting(value);
  // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, an array passed on (or an object let in) reaches the definition, with the same text
  if (Array.isArray(value)) {
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the definition and the loop below write any array alike
    if (Object.getPrototypeOf(value) !== Array.prototype) return canonicalBySorting(value);
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      const item: unknown = value[i];
      // undefined, a function or a symbol: no text (the definition's), written as null in an array.
      out += write(item, depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  if (!isPlainObject(value)) return canonicalBySorting(value);
  const keys = Object.keys(value);
  sortLikeObjectKeys(keys);
  let out = '{';
  let first = true;
  for (const key of keys) {
    // undefined, a function or a symbol: no text (the definition's), left out of an object.
    const text = write(value[key], depth + 1);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Whether JSON.stringify alone already gives the canonical text: only plain data, every object's keys
 * already in canonical order (ascending, no array-index key). Allocates nothing but
 * each object's key list, so checking first and letting the engine's serialiser write is cheaper than
 * writing by hand when, as for the audit log's own entries, the objects are built in that order.
 */
// A `false` where `true` was due only costs the hand-written path, which gives the same text: the
// mutants that only turn an answer to `false` are equivalent.
// Stryker disable next-line BlockStatement: equivalent, see above
function isInCanonicalOrder(value: unknown, depth: number): boolean {
  // Stryker disable next-line LogicalOperator,EqualityOperator,StringLiteral: equivalent, a scalar is written alike by both paths; a BigInt throws the same TypeError from either
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  // Stryker disable next-line EqualityOperator: equivalent, giving up a level sooner or later only moves where the hand-written path starts
  if (depth > MAX_DEPTH) return false;
  // Stryker disable next-line ConditionalExpression,BlockStatement: equivalent, see above (an object let in is refused by the prototype check)
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (const item of value) if (!isInCanonicalOrder(item, depth + 1)) return false;
    // Stryker disable next-line BooleanLiteral: equivalent, see above
    return true;
  }
  // Stryker disable next-line BooleanLiteral: equivalent, a class instance or a Map let through is written by the engine as the definition writes it
  if (!isPlainObject(value) || typeof value.toJSON === 'function') return false;
  // '' is below every key but '' itself, which it sends to the hand-written path (same text).
  // Stryker disable next-line StringLiteral: equivalent, another start only decides whether the first key is sent to the hand-written path, which gives the same text
  let previous = '';
  for (const key of Object.keys(value)) {
    // Stryker disable next-line EqualityOperator: equivalent, keys are never equal (`<=`), and `>=` sends every object to the hand-written path at its first key
    if (!(previous < key) || startsWithDigit(key)) return false;
    if (!isInCanonicalOrder(value[key], depth + 1)) return false;
    previous = key;
  }
  // Stryker disable next-line BooleanLiteral: equivalent, see above
  return true;
}

function startsWithDigit(key: string): boolean {
  const first = key.charCodeAt(0);
  // Stryker disable next-line LogicalOperator: equivalent, isArrayIndex's pattern accepts digits only, and isInCanonicalOrder turning every key away only costs the hand-written path
  return first >= 48 && first <= 57;
}

/**
 * JSON with object keys sorted at every depth and no whitespace, so one value always has one
 * text: what the audit chain hashes. Same value rules as JSON.stringify (toJSON, undefined dropped).
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0) as string;
}

/** The sorting definition itself, exported for the test that holds the fast writer to it. */
export const canonicalJsonBySorting = canonicalBySorting as (value: unknown) => string;
