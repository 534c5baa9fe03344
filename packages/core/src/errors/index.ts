export { ERROR_STATUS, isGatewayErrorCode } from './error-codes.js';
export type { GatewayErrorCode, GatewayErrorCodeWithStatus } from './error-codes.js';
export { failureOf, GatewayError, isGatewayError } from './gateway-error.js';
export type { ErrorBody, ErrorIssue, GatewayErrorOptions } from './gateway-error.js';
export {
  AuditUnavailableError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InternalError,
  InvalidArgsError,
  InvalidJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  ToolNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from './http-errors.js';
export { ToolError, ToolFailedError } from './tool-errors.js';
export type { ToolErrorOptions } from './tool-errors.js';
export { ConfigError } from './config-error.js';
export { formatIssuePath, issuesFromZod } from './zod-issues.js';
export { AuthBusyError, IdentityProviderUnavailableError, InvalidCredentialsError, InvalidTokenError, TooManyAttemptsError, ToolNotAllowedError } from './auth-errors.js';
