import { GatewayError } from '../errors/gateway-error.js';

/**
 * 423: the kill switch is on; no tool call runs until an admin turns it off. The operator's reason
 * is internal (it may name an incident or a suspect), so it reaches admins only: pass it just for them.
 */
export class KillSwitchOnError extends GatewayError {
  override readonly name = 'KillSwitchOnError';
  constructor(reasonForAdmins?: string) {
    super(
      'kill_switch_on',
      'the kill switch is on; tool calls are refused',
      reasonForAdmins === undefined || reasonForAdmins === '' ? {} : { details: { reason: reasonForAdmins } },
    );
  }
}

/** 429: too many calls; `Retry-After` says when a token is free again. */
export class RateLimitedError extends GatewayError {
  override readonly name = 'RateLimitedError';
  constructor(scope: string, retryAfterSeconds: number) {
    super('rate_limited', `rate limit reached (${scope}); retry after ${retryAfterSeconds} s`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      details: { scope },
    });
  }
}

/** 403: the args match a content-filter deny rule. */
export class ContentBlockedError extends GatewayError {
  override readonly name = 'ContentBlockedError';
  readonly ruleId: string;
  constructor(ruleId: string, reason: 'match' | 'timeout') {
    super(
      'content_blocked',
      reason === 'match'
        ? `the call was blocked by content-filter rule ${ruleId}`
        : `content-filter rule ${ruleId} took too long on these args; the call is blocked to be safe`,
      { details: { rule_id: ruleId } },
    );
    this.ruleId = ruleId;
  }
}
