import { scrubSecrets } from '../redaction/scrub-secrets.js';
import { scrubSecretText } from '../redaction/secret-text.js';

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

export interface GatewayErrorOptions {
  readonly cause?: unknown;
  readonly issues?: readonly ErrorIssue[];
  readonly details?: Readonly<Record<string, unknown>>;
  /** Response headers that belong to this error (`Allow`, `Retry-After`, ...). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The base of every error the gateway reports to a client. `code` is stable and machine-readable;
 * `message` is safe to show (it never carries secrets or stack traces); `status` is the HTTP status
 * the route table answers with. Anything thrown that is not a GatewayError becomes a 500 whose
 * message says nothing about the cause.
 */
export class GatewayError extends Error {
  override readonly name: string = 'GatewayError';
  readonly code: string;
  readonly status: number;
  readonly issues: readonly ErrorIssue[] | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.issues = options.issues;
    this.details = options.details;
    this.headers = options.headers ?? {};
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

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** The code and status a caller gets for `error`: its own for a GatewayError, else a bare 500. */
export function failureOf(error: unknown): { readonly code: string; readonly status: number; readonly message: string } {
  return error instanceof GatewayError ? error : { code: 'internal_error', status: 500, message: 'internal error' };
}
