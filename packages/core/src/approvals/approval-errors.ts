import { GatewayError } from '../errors/gateway-error.js';
import type { ApprovalState } from './approval.js';

/** 409: the approval is no longer pending; `details.state` says what it is. */
export class ApprovalConflictError extends GatewayError {
  override readonly name = 'ApprovalConflictError';
  readonly state: ApprovalState;
  constructor(id: string, state: ApprovalState) {
    super('approval_not_pending', `approval ${id} is ${state}, not pending`, { details: { state } });
    this.state = state;
  }
}

/** 409: the held call no longer matches what was approved (its stored args were changed). */
export class ApprovalDigestMismatchError extends GatewayError {
  override readonly name = 'ApprovalDigestMismatchError';
  constructor(id: string) {
    super('digest_mismatch', `approval ${id} no longer matches the call that was requested; it will not run`, {
      details: { state: 'failed' },
    });
  }
}

/** 403: nobody approves their own call. */
export class SelfApprovalError extends GatewayError {
  override readonly name = 'SelfApprovalError';
  constructor() {
    super('self_approval', 'a call must be approved by someone other than its caller');
  }
}

/** 403: the call was rejected by an approver. */
export class ApprovalRejectedError extends GatewayError {
  override readonly name = 'ApprovalRejectedError';
  constructor(id: string, reason: string | undefined) {
    super('approval_rejected', `approval ${id} was rejected${reason === undefined ? '' : `: ${reason}`}`, {
      details: { state: 'rejected', approval_id: id },
    });
  }
}

/** 409: nobody decided in time. Reported as expired, never as rejected. */
export class ApprovalExpiredError extends GatewayError {
  override readonly name = 'ApprovalExpiredError';
  constructor(id: string) {
    super('approval_expired', `approval ${id} expired before anyone decided`, { details: { state: 'expired', approval_id: id } });
  }
}

/** 409: this approver has approved the call already; a quorum counts distinct people. */
export class AlreadyApprovedError extends GatewayError {
  override readonly name = 'AlreadyApprovedError';
  constructor(id: string) {
    super('already_approved', `you have already approved ${id}; it needs other approvers`, { details: { state: 'pending' } });
  }
}
