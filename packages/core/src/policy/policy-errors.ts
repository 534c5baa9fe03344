import { GatewayError } from '../errors/gateway-error.js';

/** 403: the policy set denies the call; `details.policies` names the policies that decided. */
export class PolicyDeniedError extends GatewayError {
  override readonly name = 'PolicyDeniedError';
  readonly policies: readonly string[];
  constructor(tool: string, policies: readonly string[], reason: string) {
    const named = policies.length === 0 ? reason : `${reason} (${policies.map((id) => JSON.stringify(id)).join(', ')})`;
    super('policy_denied', `the policy denies this call to ${tool}: ${named}`, { details: { policies: [...policies] } });
    this.policies = policies;
  }
}

/** 422: a policy set that does not parse or validate; `issues` says where. The previous set keeps serving. */
export class InvalidPolicyError extends GatewayError {
  override readonly name = 'InvalidPolicyError';
  constructor(message: string, issues: readonly { path: string; message: string }[] = []) {
    super('invalid_policy', message, { issues });
  }
}

/** 503: no valid policy set is loaded (the first load failed), so calls are refused rather than let through. */
export class PolicyUnavailableError extends GatewayError {
  override readonly name = 'PolicyUnavailableError';
  constructor(reason: string, cause?: unknown) {
    super('policy_unavailable', `no policy set is serving: ${reason}`, { cause });
  }
}
