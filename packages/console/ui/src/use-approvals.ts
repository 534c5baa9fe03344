import { useEffect, useState } from 'preact/hooks';
import type { Session } from './api.js';
import { followApprovals, type StreamStatus } from './approval-stream.js';
import type { ApprovalState, ApprovalView } from './types.js';

const STATE_ORDER: Readonly<Record<ApprovalState, number>> = { pending: 0, approved: 1, rejected: 2, expired: 2, executed: 3, failed: 3 };
const HISTORY_LIMIT = 200;

export interface ApprovalFeed {
  /** Every approval seen since sign-in, by id: pending ones from the list, the rest from the stream. */
  readonly approvals: ReadonlyMap<string, ApprovalView>;
  readonly status: StreamStatus;
  /** An answer of a decision, so the deciding console does not wait for its own event. */
  readonly update: (approval: ApprovalView) => void;
}

/** Keeps the later of two views of one approval: states only move forward, events may overtake a list. */
function merge(map: Map<string, ApprovalView>, approval: ApprovalView): Map<string, ApprovalView> {
  const known = map.get(approval.id);
  if (known !== undefined && STATE_ORDER[known.state] > STATE_ORDER[approval.state]) return map;
  // A quorum's progress: a view with fewer approvals is older.
  if (known !== undefined && known.state === approval.state && (known.approvals?.length ?? 0) > (approval.approvals?.length ?? 0)) return map;
  const next = new Map(map);
  next.set(approval.id, approval);
  if (next.size > HISTORY_LIMIT) {
    for (const [id, view] of next) {
      if (next.size <= HISTORY_LIMIT) break;
      if (view.state !== 'pending') next.delete(id);
    }
  }
  return next;
}

/** The approvals, live: the stream for changes, and the pending list once the stream is subscribed. */
export function useApprovals(session: Session): ApprovalFeed {
  const [approvals, setApprovals] = useState<ReadonlyMap<string, ApprovalView>>(new Map());
  const [status, setStatus] = useState<StreamStatus>('connecting');
  useEffect(() => {
    const aborted = new AbortController();
    const add = (approval: ApprovalView): void => setApprovals((map) => merge(map as Map<string, ApprovalView>, approval));
    void followApprovals(
      session,
      {
        onConnected() {
          session
            .json<{ approvals: ApprovalView[] }>('/approvals')
            .then(({ approvals: pending }) => pending.forEach(add))
            .catch(() => undefined);
        },
        onEvent: (event) => add(event.approval),
        onStatus: setStatus,
      },
      aborted.signal,
    );
    return () => aborted.abort();
  }, [session]);
  return { approvals, status, update: (approval) => setApprovals((map) => merge(map as Map<string, ApprovalView>, approval)) };
}
