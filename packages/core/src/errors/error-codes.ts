/**
 * Every code the gateway itself answers with, and its HTTP status: the one place a status is decided.
 * A `GatewayError` built from a code takes its status from here, the error table of docs/errors.md is
 * checked against it, and a new code means one new line. Codes are stable: clients branch on them.
 *
 * Codes of a tool's own (`ToolError`, or a sandboxed tool's error) are not here: those stay open
 * strings with the status the tool chose.
 */
export const ERROR_STATUS = {
  /** The request is not what the route accepts (shape, query, path). */
  bad_request: 400,
  /** The body is not JSON the gateway will read (syntax, UTF-8, nesting depth, prototype keys). */
  invalid_json: 400,
  /** No credentials, or credentials that do not verify. */
  unauthorized: 401,
  /** A bearer token that is malformed, forged, expired, revoked or of the wrong kind. */
  invalid_token: 401,
  /** Username or password wrong (the same answer for an unknown user). */
  invalid_credentials: 401,
  /** Authenticated, but the role may not do this. */
  forbidden: 403,
  /** The tool is outside the caller's role or allow-list. */
  tool_not_allowed: 403,
  /** The args match a content-filter deny rule. */
  content_blocked: 403,
  /** Nobody approves their own call. */
  self_approval: 403,
  /** A waited-for call was rejected by an approver. */
  approval_rejected: 403,
  /** The loaded policy set denies the call (`details.policies` names the policies that decided). */
  policy_denied: 403,
  /** A tool asked for a provider secret it did not declare. */
  secret_not_allowed: 403,
  /** No such route or resource. */
  not_found: 404,
  /** No tool is registered under that name. */
  tool_not_found: 404,
  /** No secret for that provider. */
  secret_not_found: 404,
  /** The path exists, the method does not (with `Allow`). */
  method_not_allowed: 405,
  /** The client did not send a whole request in time. */
  request_timeout: 408,
  /** The resource is in a state that does not allow this. */
  conflict: 409,
  /** The approval was already decided (`details.state` says how). */
  approval_not_pending: 409,
  /** Nobody decided the approval in time. */
  approval_expired: 409,
  /** This approver has already approved the call (a quorum counts distinct people). */
  already_approved: 409,
  /** The held call no longer matches what was approved. */
  digest_mismatch: 409,
  /** The body is larger than the configured limit (or than the sandbox takes). */
  payload_too_large: 413,
  /** The body is not `application/json` in UTF-8. */
  unsupported_media_type: 415,
  /** The tool exists but its args do not match its schema. */
  invalid_args: 422,
  /** The task is well formed but cannot be scheduled. */
  invalid_task: 422,
  /** A policy set that does not parse or validate against the schema; the previous set keeps serving. */
  invalid_policy: 422,
  /** A tool reported a failure meant for the caller, without a code of its own (`ToolError`'s default). */
  tool_error: 422,
  /** The kill switch is on. */
  kill_switch_on: 423,
  /** Login throttled (`Retry-After`). */
  too_many_attempts: 429,
  /** Tool calls over a rate limit (`Retry-After`). */
  rate_limited: 429,
  /** The request line and headers exceed the server's limit. */
  headers_too_large: 431,
  /** The gateway failed; the cause is logged, never sent. */
  internal_error: 500,
  /** A tool threw something that was not a `ToolError`; the cause is logged, never sent. */
  tool_failed: 500,
  /** The configuration cannot be used (thrown at start). */
  invalid_config: 500,
  /** An approved call reported no outcome within the run timeout (its process may have stopped); it is never run again. */
  run_interrupted: 504,
  /** The sandbox worker crashed, broke the protocol or wrote too much. */
  sandbox_failed: 502,
  /** Vault refused the gateway's token or policy. */
  vault_forbidden: 502,
  /** Vault answered with an error the gateway does not expect. */
  vault_error: 502,
  /** An MCP upstream answered a call with a protocol error (not a tool error, which is a result). */
  upstream_error: 502,
  /** The audit log cannot write, so nothing that must be audited may happen. */
  audit_unavailable: 503,
  /** This gateway has no audit log. */
  audit_not_configured: 503,
  /** Too many logins are waiting for a password check (`Retry-After`). */
  auth_busy: 503,
  /** The external identity provider's discovery document or keys (JWKS) cannot be fetched, so its tokens cannot be checked. */
  identity_provider_unavailable: 503,
  /** The shared state store (Redis) cannot be reached: a security decision that needs it fails closed. */
  state_unavailable: 503,
  /** The gateway is shutting down. */
  gateway_closed: 503,
  /** A gateway plugin the request needs failed to start. */
  plugin_unavailable: 503,
  /** The policy engine has no valid policy set loaded (it failed to start), so every call is refused. */
  policy_unavailable: 503,
  /** Every sandbox worker is busy. */
  sandbox_busy: 503,
  /** There is no sandbox for this tool, or it is shutting down. */
  sandbox_unavailable: 503,
  /** The secret store cannot answer (and fails closed). */
  secret_unavailable: 503,
  /** An MCP upstream is down, restarting, or went away during the call; its other calls fail too, nothing else does. */
  upstream_unavailable: 503,
  /** Vault cannot be reached, did not answer in time, or answered 5xx. */
  vault_unreachable: 503,
  /** TLS with Vault failed. */
  vault_tls_error: 503,
  /** The sandboxed call did not finish in time. */
  sandbox_timeout: 504,
  /** An MCP upstream did not answer a call within its timeout. */
  upstream_timeout: 504,
} as const satisfies Readonly<Record<string, number>>;

/** A code from the gateway's own table: a closed union, so a misspelt code does not compile. */
export type GatewayErrorCode = keyof typeof ERROR_STATUS;

/** The codes whose status is `S`, e.g. `GatewayErrorCodeWithStatus<503>` for "a part is unavailable". */
export type GatewayErrorCodeWithStatus<S extends number> = {
  [C in GatewayErrorCode]: (typeof ERROR_STATUS)[C] extends S ? C : never;
}[GatewayErrorCode];

/** Whether `value` is a code from the table (a tool's own code is not). */
export function isGatewayErrorCode(value: unknown): value is GatewayErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}
