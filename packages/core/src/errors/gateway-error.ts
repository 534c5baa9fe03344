import { scrubSecrets } from '../redaction/scrub-secrets.js';
import { scrubSecretText } from '../redaction/secret-text.js';
import { ERROR_STATUS, isGatewayErrorCode, type GatewayErrorCode } from './error-codes.js';

/** One problem found in a request, e.g. one zod issue: where it is and what is wrong. */
export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

/** The one JSON error shape every route answers with. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly issues?: readonly ErrorIssue[];
    /** Machine-readable facts about this error (e.g. an approval's current `state` on a 409). */
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

/** The optional parts of a `GatewayError`: its cause (logged, never sent), issues, details and headers. */
export interface GatewayErrorOptions {
  readonly cause?: unknown;
  readonly issues?: readonly ErrorIssue[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** Response headers that belong to this error (`Allow`, `Retry-After`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Marks every GatewayError, under a registry key that is the same in every copy of this package (its
 * CJS and ESM builds, or two installs): an error made by one copy is still one for the other, where
 * `instanceof` alone compares prototypes and says no. The value is the version of the error's shape
 * (`code`, `status`, `message`, `headers`, `toJSON()`), so a copy never trusts a shape it does not know.
 */
const BRAND = Symbol.for('agent-gateway.error');
const SHAPE_VERSION = 1;

/** An own brand only: one inherited from a polluted prototype does not count. */
function hasBrand(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getOwnPropertyDescriptor(value, BRAND)?.value === SHAPE_VERSION;
}

type ConstructorArgs =
  | readonly [code: GatewayErrorCode, message: string, options?: GatewayErrorOptions]
  | readonly [status: number, code: string, message: string, options?: GatewayErrorOptions];

function resolveArgs([first, second, third, fourth]: ConstructorArgs) {
  if (typeof first === 'number') {
    return { status: first, code: second, message: typeof third === 'string' ? third : '', options: fourth ?? {} };
  }
  if (!isGatewayErrorCode(first)) {
    throw new TypeError(`unknown gateway error code ${JSON.stringify(first)}: use one from ERROR_STATUS, or ToolError for a code of your own`);
  }
  return { status: ERROR_STATUS[first], code: first, message: second, options: typeof third === 'object' && third !== null ? third : {} };
}

/**
 * The base of every error the gateway reports to a client. `code` is stable and machine-readable;
 * `message` is safe to show (it never carries secrets or stack traces); `status` is the HTTP status
 * the route table answers with, looked up in `ERROR_STATUS`. Anything thrown that is not a
 * GatewayError becomes a 500 whose message says nothing about the cause.
 *
 * @example
 * ```ts
 * throw new GatewayError('conflict', 'that name is taken');   // 409, from ERROR_STATUS
 * throw new ToolError('quota reached', { code: 'quota_reached', status: 429 }); // a tool's own code
 * ```
 */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  /** A `GatewayErrorCode`, or a tool's own code (`ToolError`, a sandboxed tool's error). */
  readonly code: string;
  readonly status: number;
  readonly issues: readonly ErrorIssue[] | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>>;

  /** A code from the table; its status is `ERROR_STATUS[code]`. */
  constructor(code: GatewayErrorCode, message: string, options?: GatewayErrorOptions);
  /**
   * A code outside the table with the status it carries: an error replayed from storage, or code
   * written before the table. For a code in the table use the form above (the status then cannot
   * disagree with the table); for a tool's own code, `ToolError`.
   */
  constructor(status: number, code: string, message: string, options?: GatewayErrorOptions);
  constructor(...args: ConstructorArgs) {
    const { status, code, message, options } = resolveArgs(args);
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.issues = options.issues;
    this.details = options.details;
    this.headers = options.headers ?? {};
    Object.defineProperty(this, BRAND, { value: SHAPE_VERSION });
  }

  /**
   * `error instanceof GatewayError` holds for an error from any copy of this package (see BRAND).
   * A subclass keeps the prototype check: a copy's `ToolError` is not this copy's `ToolError`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === GatewayError && hasBrand(value)) return true;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /**
   * The body a client gets. Messages, issues and details often echo what the caller sent (an origin,
   * a tool name, a validator's message), and bodies end up in client logs and proxies: scrubbed here,
   * where every error becomes a body.
   */
  toJSON(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: scrubSecretText(this.message),
        ...(this.issues === undefined ? {} : { issues: scrubIssues(this.issues) }),
        ...(this.details === undefined ? {} : { details: scrubSecrets(this.details) as Record<string, unknown> }),
      },
    };
  }
}

/** Issues as they may be shown: a validator's message or a path may quote what the caller sent. */
export function scrubIssues(issues: readonly ErrorIssue[]): ErrorIssue[] {
  return issues.map((issue) => ({ path: scrubSecretText(issue.path), message: scrubSecretText(issue.message) }));
}

/** Whether `value` is a GatewayError from this or any other copy of the package (CJS and ESM, two installs). */
export function isGatewayError(value: unknown): value is GatewayError {
  return hasBrand(value) || Function.prototype[Symbol.hasInstance].call(GatewayError, value);
}

/** The code and status a caller gets for `error`: its own for a GatewayError (from any copy), else a bare 500. */
export function failureOf(error: unknown): { readonly code: string; readonly status: number; readonly message: string } {
  return isGatewayError(error) ? error : { code: 'internal_error', status: ERROR_STATUS.internal_error, message: 'internal error' };
}
