import { ERROR_STATUS, GatewayError } from '../errors/index.js';
import type { Approval } from './approval.js';
import { ApprovalExpiredError, ApprovalRejectedError } from './approval-errors.js';

/**
 * What a caller who waited for a decision gets: the result once executed, or the error that ended
 * the call (rejected 403, expired 409, the run's own error when it failed). `undefined` while the
 * approval is still undecided (or its approved call still running).
 */
export function settledResult(approval: Approval): { result: unknown } | undefined {
  switch (approval.state) {
    case 'executed':
      return { result: approval.result };
    case 'rejected':
      throw new ApprovalRejectedError(approval.id, approval.decision?.reason);
    case 'expired':
      throw new ApprovalExpiredError(approval.id);
    case 'failed': {
      const error = approval.error ?? { status: ERROR_STATUS.tool_failed, code: 'tool_failed', message: 'the approved call failed' };
      // The stored status, as the run answered it: the code may be a tool's own, outside the table.
      throw new GatewayError(error.status, error.code, error.message, { details: { state: 'failed', approval_id: approval.id } });
    }
    default:
      return undefined;
  }
}
