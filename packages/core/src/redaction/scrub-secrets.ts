import { isSecretKey } from './secret-keys.js';
import { REDACTED, scrubSecretText } from './secret-text.js';

export { REDACTED };

/** Deeper than any JSON the gateway accepts (64); what lies below is replaced, not walked. */
const MAX_DEPTH = 100;
/** An object met again inside itself: JSON could not show it either. */
export const CIRCULAR = '[Circular]';

/** What stands in for a value under a secret name. `true`, `false` and `null` say nothing secret and stay. */
function hidden(value: unknown): unknown {
  return value === null || value === undefined || typeof value === 'boolean' ? value : REDACTED;
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to `__proto__` would set the copy's prototype instead of a field.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

class Scrub {
  /** Objects already copied (a shared subtree is walked once) and, while walking one, its placeholder. */
  readonly #done = new Map<object, unknown>();
  readonly #walking = new Set<object>();

  value(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return scrubSecretText(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth > MAX_DEPTH) return REDACTED;
    if (this.#walking.has(value)) return CIRCULAR;
    if (this.#done.has(value)) return this.#done.get(value);
    this.#walking.add(value);
    try {
      const copy = this.#copy(value, depth);
      this.#done.set(value, copy);
      return copy;
    } finally {
      this.#walking.delete(value);
    }
  }

  #copy(value: object, depth: number): unknown {
    if (Array.isArray(value)) return value.map((item: unknown) => this.value(item, depth + 1));
    if (value instanceof Date) return new Date(value.getTime());
    // Bytes are not text: they are kept as they are, neither walked index by index nor decoded.
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
    // What JSON would show of it (a URL's href, a SecretValue's `[REDACTED]`), scrubbed in turn.
    if (hasToJson(value)) return this.value(value.toJSON(), depth);
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      setOwn(out, scrubSecretText(key), isSecretKey(key) ? hidden(child) : this.value(child, depth + 1));
    }
    return out;
  }
}

/**
 * A copy of `value` fit to be shown or stored: under a secret name (`password`, `x-api-key`,
 * `aws_secret_access_key`, … see secret-keys.ts) the value is `[REDACTED]`; in every string (keys
 * too) each secret (a JWT, `Bearer …`, a provider key, a URL password, `?token=…`) is replaced and
 * the text around it kept. Cycles become `[Circular]`; nesting past 100 levels becomes `[REDACTED]`.
 * The one scrubber for everything the gateway shows or stores of a caller's data.
 */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  return new Scrub().value(value, depth);
}
