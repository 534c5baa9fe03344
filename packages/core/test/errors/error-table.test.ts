import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SandboxError, type SandboxErrorCode } from '@agent-gateway/sandbox';
import { describe, expect, it } from 'vitest';
import {
  ApprovalConflictError,
  ApprovalDigestMismatchError,
  ApprovalExpiredError,
  ApprovalRejectedError,
  AuditUnavailableError,
  AuthBusyError,
  BadRequestError,
  ConfigError,
  ConflictError,
  ContentBlockedError,
  ERROR_STATUS,
  ForbiddenError,
  GatewayError,
  HeadersTooLargeError,
  InternalError,
  InvalidArgsError,
  InvalidCredentialsError,
  InvalidJsonError,
  InvalidTaskError,
  InvalidTokenError,
  isGatewayErrorCode,
  KillSwitchOnError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  SecretNotAllowedError,
  SecretNotFoundError,
  SecretUnavailableError,
  SelfApprovalError,
  ServiceUnavailableError,
  ToolError,
  ToolFailedError,
  ToolNotAllowedError,
  ToolNotFoundError,
  TooManyAttemptsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../src/index.js';
import { sandboxFailure } from '../../src/sandbox/sandbox-failure.js';

const root = resolve(__dirname, '../../../..');

// Each class with the status clients got before the table existed: the table must not move one.
const SUBCLASSES: readonly [GatewayError, number][] = [
  [new BadRequestError('x'), 400],
  [new InvalidJsonError('x'), 400],
  [new UnauthorizedError(), 401],
  [new InvalidTokenError(), 401],
  [new InvalidCredentialsError(), 401],
  [new ForbiddenError(), 403],
  [new ToolNotAllowedError('t', 'r'), 403],
  [new ContentBlockedError('r1', 'match'), 403],
  [new SelfApprovalError(), 403],
  [new ApprovalRejectedError('a1', undefined), 403],
  [new SecretNotAllowedError('t', 'openai'), 403],
  [new NotFoundError(), 404],
  [new ToolNotFoundError('t'), 404],
  [new SecretNotFoundError('openai'), 404],
  [new MethodNotAllowedError('PUT', ['GET']), 405],
  [new RequestTimeoutError(), 408],
  [new ConflictError('x'), 409],
  [new ApprovalConflictError('a1', 'executed'), 409],
  [new ApprovalExpiredError('a1'), 409],
  [new ApprovalDigestMismatchError('a1'), 409],
  [new PayloadTooLargeError(10), 413],
  [new UnsupportedMediaTypeError('text/plain'), 415],
  [new InvalidArgsError('t', []), 422],
  [new InvalidTaskError('x', 'every'), 422],
  [new ToolError('x'), 422],
  [new KillSwitchOnError(), 423],
  [new TooManyAttemptsError(5), 429],
  [new RateLimitedError('user', 5), 429],
  [new HeadersTooLargeError(), 431],
  [new InternalError(), 500],
  [new ToolFailedError('t', new Error('boom')), 500],
  [new ConfigError([]), 500],
  [new AuditUnavailableError(), 503],
  [new AuthBusyError(), 503],
  [new ServiceUnavailableError('gateway_closed', 'x'), 503],
  [new SecretUnavailableError('x'), 503],
  [new SecretUnavailableError('x', 'vault_tls_error'), 503],
];

const SANDBOX: readonly [SandboxErrorCode, string, number][] = [
  ['sandbox_busy', 'sandbox_busy', 503],
  ['sandbox_timeout', 'sandbox_timeout', 504],
  ['sandbox_crashed', 'sandbox_failed', 502],
  ['sandbox_protocol_error', 'sandbox_failed', 502],
  ['sandbox_output_too_large', 'sandbox_failed', 502],
  ['sandbox_request_too_large', 'payload_too_large', 413],
  ['sandbox_closed', 'sandbox_unavailable', 503],
  ['sandbox_unavailable', 'sandbox_unavailable', 503],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}


describe('the error table', () => {
  it.each(SUBCLASSES.map(([error, status]) => [error.name, error, status] as const))('%s takes its status from its code', (_, error, status) => {
    expect(isGatewayErrorCode(error.code)).toBe(true);
    expect(error.status).toBe(ERROR_STATUS[error.code as keyof typeof ERROR_STATUS]);
    expect(error.status).toBe(status);
  });

  it.each(SANDBOX)('a sandbox failure %s is %s with its status from the table', (sandboxCode, code, status) => {
    const error = sandboxFailure('t', new SandboxError(sandboxCode, 'worker stderr, never shown'));
    expect({ code: error.code, status: error.status }).toEqual({ code, status });
    expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS]).toBe(status);
  });

  it("keeps a sandboxed tool's own code, as a ToolError of status 422", () => {
    const error = sandboxFailure('t', new SandboxError('worker_error', 'quota reached', { workerCode: 'quota_reached' }));
    expect(error).toBeInstanceOf(ToolError);
    expect({ code: error.code, status: error.status, message: error.message }).toEqual({ code: 'quota_reached', status: 422, message: 'quota reached' });
  });

  it('builds an error from a code alone, and refuses a code it does not know', () => {
    const error = new GatewayError('conflict', 'that name is taken');
    expect({ status: error.status, code: error.code, message: error.message }).toEqual({ status: 409, code: 'conflict', message: 'that name is taken' });
    // @ts-expect-error: the codes are a closed union; a tool's own code goes through ToolError
    expect(() => new GatewayError('quota_reached', 'x')).toThrow(/unknown gateway error code "quota_reached".*ToolError/);
  });

  it('still takes an explicit status with a code outside the table (ToolError, replayed errors, older callers)', () => {
    expect(new GatewayError(418, 'teapot', 'x').status).toBe(418);
    expect(new ToolError('full', { code: 'scratch_full', status: 507 })).toMatchObject({ code: 'scratch_full', status: 507 });
  });

  it('has every status a 4xx or 5xx, and codes in snake_case', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status >= 400 && status <= 599, code).toBe(true);
    }
  });

  it('is where every status comes from: no error in the sources carries a literal status', () => {
    // An error's status written as a number (`super(409, ...)`, `{ status: 503, code }`); a ToolError's is the tool's to choose.
    const literal = /\b(super|new GatewayError)\(\s*[45]\d\d\s*,|\bstatus: [45]\d\d\b/;
    const offenders: string[] = [];
    for (const top of ['packages', 'examples']) {
      for (const pkg of readdirSync(join(root, top))) {
        const src = join(root, top, pkg, 'src');
        if (!statSync(join(root, top, pkg)).isDirectory() || !existsDir(src)) continue;
        for (const file of sourceFiles(src)) {
          const path = relative(root, file).split('\\').join('/');
          readFileSync(file, 'utf8')
            .split('\n')
            .forEach((line, n) => {
              // Test support (packages/conformance) asserts statuses; that is reading one, not deciding it.
              if (literal.test(line) && !line.includes('new ToolError(') && !line.includes('expect(')) offenders.push(`${path}:${n + 1}: ${line.trim()}`);
            });
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

function existsDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
