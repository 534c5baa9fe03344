import { describe, expect, it } from 'vitest';
import { GatewayError, type Approval } from '../../src/index.js';
import {
  AlreadyApprovedError,
  ApprovalConflictError,
  ApprovalDigestMismatchError,
  ApprovalExpiredError,
  ApprovalRejectedError,
  SelfApprovalError,
} from '../../src/approvals/approval-errors.js';
import { settledResult } from '../../src/approvals/call-outcome.js';

// What a caller who waited for a decision gets, and the approval errors' status, code, message and
// details (issue 24: call-outcome.ts is used by the gateway's /tools/call wait, whose tests run
// outside the approvals group, and the errors' wording was checked only through HTTP).

const held: Approval = {
  id: 'ap-1',
  callId: 'call-1',
  tool: 'file.write',
  args: { path: '/etc/x' },
  digest: 'd'.repeat(64),
  caller: { kind: 'user', id: 'bot', role: 'agent' },
  state: 'pending',
  createdAt: '2026-11-30T10:00:00.000Z',
  expiresAt: '2026-11-30T10:05:00.000Z',
};

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('settledResult', () => {
  it('undecided, or approved and still running: nothing yet', () => {
    expect(settledResult(held)).toBeUndefined();
    expect(settledResult({ ...held, state: 'approved', decision: { by: 'ann', at: held.createdAt } })).toBeUndefined();
  });

  it('executed: the result, whatever it is (undefined included)', () => {
    expect(settledResult({ ...held, state: 'executed', result: { written: 3 } })).toEqual({ result: { written: 3 } });
    expect(settledResult({ ...held, state: 'executed' })).toEqual({ result: undefined });
  });

  it('rejected: 403 approval_rejected with the approver\'s reason, if any', () => {
    const withReason = thrownBy(() => settledResult({ ...held, state: 'rejected', decision: { by: 'ann', at: held.createdAt, reason: 'not today' } }));
    expect(withReason).toBeInstanceOf(ApprovalRejectedError);
    expect(withReason).toMatchObject({ status: 403, code: 'approval_rejected', message: 'approval ap-1 was rejected: not today', details: { state: 'rejected', approval_id: 'ap-1' } });
    expect(thrownBy(() => settledResult({ ...held, state: 'rejected', decision: { by: 'ann', at: held.createdAt } }))).toMatchObject({ message: 'approval ap-1 was rejected' });
    expect(thrownBy(() => settledResult({ ...held, state: 'rejected' }))).toMatchObject({ message: 'approval ap-1 was rejected' });
  });

  it('expired: 409 approval_expired, never reported as rejected', () => {
    const error = thrownBy(() => settledResult({ ...held, state: 'expired' }));
    expect(error).toBeInstanceOf(ApprovalExpiredError);
    expect(error).toMatchObject({ status: 409, code: 'approval_expired', message: 'approval ap-1 expired before anyone decided', details: { state: 'expired', approval_id: 'ap-1' } });
  });

  it('failed: the run\'s own error as stored (a tool\'s code outside the table keeps its status), or tool_failed when none was kept', () => {
    const own = thrownBy(() => settledResult({ ...held, state: 'failed', error: { status: 418, code: 'teapot', message: 'short and stout' } }));
    expect(own).toBeInstanceOf(GatewayError);
    expect(own).toMatchObject({ status: 418, code: 'teapot', message: 'short and stout', details: { state: 'failed', approval_id: 'ap-1' } });
    expect(thrownBy(() => settledResult({ ...held, state: 'failed' }))).toMatchObject({
      status: 500,
      code: 'tool_failed',
      message: 'the approved call failed',
      details: { state: 'failed', approval_id: 'ap-1' },
    });
  });
});

describe('the approval errors', () => {
  // Made inside the test, not in the table: a constructor that throws fails its test, not the file's loading.
  it.each([
    ['ApprovalConflictError', () => new ApprovalConflictError('ap-1', 'executed'), { name: 'ApprovalConflictError', status: 409, code: 'approval_not_pending', message: 'approval ap-1 is executed, not pending', details: { state: 'executed' }, state: 'executed' }],
    ['ApprovalDigestMismatchError', () => new ApprovalDigestMismatchError('ap-1'), { name: 'ApprovalDigestMismatchError', status: 409, code: 'digest_mismatch', message: 'approval ap-1 no longer matches the call that was requested; it will not run', details: { state: 'failed' } }],
    ['SelfApprovalError', () => new SelfApprovalError(), { name: 'SelfApprovalError', status: 403, code: 'self_approval', message: 'a call must be approved by someone other than its caller' }],
    ['ApprovalRejectedError', () => new ApprovalRejectedError('ap-1', undefined), { name: 'ApprovalRejectedError', status: 403, code: 'approval_rejected', message: 'approval ap-1 was rejected' }],
    ['ApprovalExpiredError', () => new ApprovalExpiredError('ap-1'), { name: 'ApprovalExpiredError', status: 409, code: 'approval_expired' }],
    ['AlreadyApprovedError', () => new AlreadyApprovedError('ap-1'), { name: 'AlreadyApprovedError', status: 409, code: 'already_approved', message: 'you have already approved ap-1; it needs other approvers', details: { state: 'pending' } }],
  ])('%s', (_name, make, expected) => {
    const error = make();
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject(expected);
  });
});
