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

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
