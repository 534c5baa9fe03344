import { GatewayError } from './gateway-error.js';

/** 401: username or password wrong. Deliberately the same answer for an unknown user. */
export class InvalidCredentialsError extends GatewayError {
  override readonly name = 'InvalidCredentialsError';
  constructor() {
    super('invalid_credentials', 'invalid username or password');
  }
}

/** 401: a bearer token that is malformed, forged, expired, revoked or of the wrong kind. */
export class InvalidTokenError extends GatewayError {
  override readonly name = 'InvalidTokenError';
  constructor(message = 'invalid token') {
    super('invalid_token', message, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  }
}

/** 429: too many attempts; `Retry-After` says when to try again. */
export class TooManyAttemptsError extends GatewayError {
  override readonly name = 'TooManyAttemptsError';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = 'too many failed login attempts; try again later') {
    super('too_many_attempts', message, { headers: { 'retry-after': String(retryAfterSeconds) } });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * 503: every password-check slot is taken and the queue for them is full, so the login is refused at
 * once instead of waiting behind the others (and holding memory meanwhile). `Retry-After` says when
 * to try again; the attempt did not count against the login throttle.
 */
export class AuthBusyError extends GatewayError {
  override readonly name = 'AuthBusyError';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds = 1) {
    super('auth_busy', 'too many logins are being checked right now; try again shortly', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * 503: an external identity provider's token cannot be checked because its discovery document or
 * key set (JWKS) cannot be fetched, or came back unusable. The token may well be good: the client
 * should retry, not sign in again. The cause is kept for the log, never sent.
 */
export class IdentityProviderUnavailableError extends GatewayError {
  override readonly name = 'IdentityProviderUnavailableError';
  constructor(cause?: unknown) {
    super('identity_provider_unavailable', "the identity provider's signing keys cannot be fetched right now; try again shortly", {
      cause,
      headers: { 'retry-after': '5' },
    });
  }
}

/** 403: the caller may not call this tool (role or allow-list). */
export class ToolNotAllowedError extends GatewayError {
  override readonly name = 'ToolNotAllowedError';
  readonly tool: string;
  constructor(tool: string, reason: string) {
    super('tool_not_allowed', `not allowed to call tool ${JSON.stringify(tool)}: ${reason}`);
    this.tool = tool;
  }
}
