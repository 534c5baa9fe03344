import type { GatewayErrorCodeWithStatus } from './error-codes.js';
import { GatewayError, type ErrorIssue, type GatewayErrorOptions } from './gateway-error.js';

type Options = GatewayErrorOptions;

/** 400: the request is not what the route accepts (shape, query, path). */
export class BadRequestError extends GatewayError {
  override readonly name = 'BadRequestError';
  constructor(message: string, options?: Options) {
    super('bad_request', message, options);
  }
}

/** 400: the body is not JSON the gateway will read (syntax, nesting depth, prototype keys). */
export class InvalidJsonError extends GatewayError {
  override readonly name = 'InvalidJsonError';
  constructor(message: string, options?: Options) {
    super('invalid_json', message, options);
  }
}

/** 401: no credentials, or credentials that do not verify. */
export class UnauthorizedError extends GatewayError {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'authentication required', options?: Options) {
    super('unauthorized', message, {
      ...options,
      headers: { 'www-authenticate': 'Bearer', ...options?.headers },
    });
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends GatewayError {
  override readonly name = 'ForbiddenError';
  constructor(message = 'not allowed', options?: Options) {
    super('forbidden', message, options);
  }
}

/** 404: no such route or resource. */
export class NotFoundError extends GatewayError {
  override readonly name = 'NotFoundError';
  constructor(message = 'not found', options?: Options) {
    super('not_found', message, options);
  }
}

/** 404: no tool is registered under that name. */
export class ToolNotFoundError extends GatewayError {
  override readonly name = 'ToolNotFoundError';
  readonly tool: string;
  constructor(tool: string) {
    super('tool_not_found', `no tool named ${JSON.stringify(tool)} is registered`);
    this.tool = tool;
  }
}

/** 405: the path exists, the method does not. */
export class MethodNotAllowedError extends GatewayError {
  override readonly name = 'MethodNotAllowedError';
  constructor(method: string, allowed: readonly string[]) {
    super('method_not_allowed', `method ${method} is not allowed here; use ${allowed.join(', ')}`, {
      headers: { allow: allowed.join(', ') },
    });
  }
}

/** 409: the resource is in a state that does not allow this (e.g. an approval already decided). */
export class ConflictError extends GatewayError {
  override readonly name = 'ConflictError';
  constructor(message: string, options?: Options) {
    super('conflict', message, options);
  }
}

/** 413: the body is larger than the configured limit. The connection is closed after answering. */
export class PayloadTooLargeError extends GatewayError {
  override readonly name = 'PayloadTooLargeError';
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super('payload_too_large', `request body exceeds the limit of ${limitBytes} bytes`, {
      headers: { connection: 'close' },
    });
    this.limitBytes = limitBytes;
  }
}

/** 415: the body is not `application/json`. */
export class UnsupportedMediaTypeError extends GatewayError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(contentType: string | undefined) {
    super(
      'unsupported_media_type',
      contentType === undefined
        ? 'a request body needs content-type: application/json'
        : `content-type ${JSON.stringify(contentType)} is not supported; send application/json (utf-8)`,
    );
  }
}

/** 422: the tool exists but its args do not match its schema. */
export class InvalidArgsError extends GatewayError {
  override readonly name = 'InvalidArgsError';
  readonly tool: string;
  constructor(tool: string, issues: readonly ErrorIssue[]) {
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    super('invalid_args', `invalid args for tool ${JSON.stringify(tool)}: ${summary}`, { issues });
    this.tool = tool;
  }
}

/** 503: a part the request needs is not available (closing gateway, missing approval queue, ...). */
export class ServiceUnavailableError extends GatewayError {
  override readonly name = 'ServiceUnavailableError';
  constructor(code: GatewayErrorCodeWithStatus<503>, message: string, options?: Options) {
    super(code, message, options);
  }
}

/** 500: something failed that the client cannot fix; the cause is logged, never sent. */
export class InternalError extends GatewayError {
  override readonly name = 'InternalError';
  constructor(options?: Options) {
    super('internal_error', 'internal error', options);
  }
}

/** 503: the audit log cannot write, so nothing that must be audited may happen. */
export class AuditUnavailableError extends GatewayError {
  override readonly name = 'AuditUnavailableError';
  constructor(options?: Options) {
    super('audit_unavailable', 'the audit log cannot be written; refusing actions that must be audited', options);
  }
}
