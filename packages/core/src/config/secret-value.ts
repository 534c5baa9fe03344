import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * Holds a secret (a password, a token) so that it cannot reach a log by accident:
 * `String()`, `JSON.stringify()` and `console.log()` all print `[REDACTED]`.
 * Only `reveal()` returns the value, which makes every use of it easy to find.
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself. Every other way of printing it shows `[REDACTED]`. */
  reveal(): string {
    return this.#value;
  }

  /** `[REDACTED]`. */
  toString(): string {
    return REDACTED;
  }

  /** `[REDACTED]`, so serialised settings never hold the secret. */
  toJSON(): string {
    return REDACTED;
  }

  /** `[REDACTED]` in `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return REDACTED;
  }
}
