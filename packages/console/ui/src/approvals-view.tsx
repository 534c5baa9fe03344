import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, type Session } from './api.js';
import type { ApprovalFeed } from './use-approvals.js';
import { JsonView } from './json-view.js';
import type { ApprovalView } from './types.js';
import { formatLeft, formatTime, useNow } from './use-now.js';

const STATUS_TEXT = { connecting: 'Connecting to the live stream…', live: 'Live: new requests appear here as they are made.', reconnecting: 'Connection lost; reconnecting…' };

function sameUser(a: string, b: string): boolean {
  // Usernames ignore case at the gateway, so the self-approval rule does too.
  return a.toLowerCase() === b.toLowerCase();
}

function auditLink(approval: ApprovalView): JSX.Element {
  return <a href={`#/audit?approval=${encodeURIComponent(approval.id)}`}>Audit entries<span class="visually-hidden"> of the {approval.tool} request</span></a>;
}

function PendingCard({ approval, session, now, onDecided }: { approval: ApprovalView; session: Session; now: number; onDecided: (a: ApprovalView) => void }): JSX.Element {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  // `now` re-renders the card each second; the time itself is read fresh, so a card drawn between ticks is right too.
  const left = Date.parse(approval.expires_at) - Math.max(now, Date.now());
  const expired = left <= 0;
  const own = sameUser(approval.requested_by.user, session.username);
  const titleId = `approval-${approval.id}-title`;
  const decide = async (decision: 'approve' | 'reject'): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const body = reason.trim() === '' ? {} : { reason: reason.trim() };
      onDecided(await session.post<ApprovalView>(`/approvals/${encodeURIComponent(approval.id)}/${decision}`, body));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached');
    } finally {
      setBusy(false);
    }
  };
  const votes = approval.approvals ?? [];
  const votedAlready = votes.some((vote) => sameUser(vote.by, session.username));
  const disabled = busy || expired || own;
  return (
    <li>
      <article class={`card${expired ? ' card-expired' : ''}`} aria-labelledby={titleId} data-approval-id={approval.id}>
        <header class="card-head">
          <h3 id={titleId}>{approval.tool}</h3>
          {expired ? (
            <span class="badge badge-expired">expired</span>
          ) : (
            <span class="time-left" role="timer" aria-label={`time left to decide: ${formatLeft(left)}`}>
              {formatLeft(left)} left
            </span>
          )}
        </header>
        <dl class="facts">
          <dt>Asked by</dt>
          <dd>
            {approval.requested_by.user}
            {approval.requested_by.role === undefined ? null : <span class="muted"> ({approval.requested_by.role})</span>}
          </dd>
          <dt>Asked at</dt>
          <dd>
            <time dateTime={approval.created_at}>{formatTime(approval.created_at)}</time>
          </dd>
          <dt>Origin</dt>
          <dd>{approval.origin ?? <span class="muted">none given</span>}</dd>
          <dt>Call</dt>
          <dd>
            <code>{approval.call_id}</code>
          </dd>
        </dl>
        <JsonView value={approval.args} label="Arguments" />
        {own ? (
          <p class="note" id={`${titleId}-own`}>
            You made this call, so you cannot decide it: another approver must.
          </p>
        ) : null}
        {approval.required !== undefined && approval.required > 1 ? (
          <p class="quorum">
            Needs {approval.required} approvals: {votes.length} so far{votes.length > 0 ? ` (${votes.map((vote) => vote.by).join(', ')})` : ''}.
            {votedAlready ? ' You approved it; another approver must too.' : ''}
          </p>
        ) : null}
        {expired ? <p class="note">Nobody decided in time: the call was refused and can no longer be approved.</p> : null}
        <div class="decision">
          <label>
            Reason (optional)
            <input type="text" value={reason} maxLength={1000} disabled={disabled} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          <div class="buttons">
            <button type="button" class="approve" disabled={disabled || votedAlready} aria-describedby={own ? `${titleId}-own` : undefined} onClick={() => void decide('approve')}>
              Approve<span class="visually-hidden"> {approval.tool}</span>
            </button>
            <button type="button" class="reject" disabled={disabled} aria-describedby={own ? `${titleId}-own` : undefined} onClick={() => void decide('reject')}>
              Reject<span class="visually-hidden"> {approval.tool}</span>
            </button>
          </div>
        </div>
        {error === undefined ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p class="card-links">{auditLink(approval)}</p>
      </article>
    </li>
  );
}

const OUTCOME: Readonly<Record<ApprovalView['state'], string>> = {
  pending: 'pending',
  approved: 'approved, running',
  executed: 'approved and run',
  failed: 'approved, the call failed',
  rejected: 'rejected',
  expired: 'expired',
};

function HistoryItem({ approval }: { approval: ApprovalView }): JSX.Element {
  return (
    <li class="history-item" data-approval-id={approval.id} data-state={approval.state}>
      <span class={`badge badge-${approval.state}`}>{OUTCOME[approval.state]}</span> <strong>{approval.tool}</strong> asked by {approval.requested_by.user}
      {approval.decided_by === undefined ? null : <> · decided by {approval.decided_by}</>}
      {approval.decided_at === undefined ? null : (
        <>
          {' '}
          at <time dateTime={approval.decided_at}>{formatTime(approval.decided_at)}</time>
        </>
      )}
      {approval.reason === undefined ? null : <> · reason: “{approval.reason}”</>}
      {approval.error === undefined ? null : <> · {approval.error.message}</>} · {auditLink(approval)}
    </li>
  );
}

/** Held calls waiting for a person, live, and what was decided or expired since sign-in. */
export function ApprovalsView({ session, feed }: { session: Session; feed: ApprovalFeed }): JSX.Element {
  const now = useNow();
  const all = [...feed.approvals.values()];
  // A pending call past its expiry is shown as expired until the gateway's own event arrives.
  const pending = all.filter((a) => a.state === 'pending').sort((a, b) => a.created_at.localeCompare(b.created_at));
  const history = all.filter((a) => a.state !== 'pending').sort((a, b) => (b.decided_at ?? b.expires_at).localeCompare(a.decided_at ?? a.expires_at));
  return (
    <>
      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">
          Pending approvals <span class="count">({pending.length})</span>
        </h2>
        <p class={`stream-status stream-${feed.status}`} role="status">
          {STATUS_TEXT[feed.status]}
        </p>
        {pending.length === 0 ? <p class="empty">Nothing is waiting for a decision.</p> : null}
        <ul class="cards" aria-label="Pending approvals">
          {pending.map((approval) => (
            <PendingCard key={approval.id} approval={approval} session={session} now={now} onDecided={feed.update} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">History</h2>
        {history.length === 0 ? <p class="empty">No decisions since you signed in.</p> : null}
        <ul class="history" aria-label="Decided and expired approvals">
          {history.map((approval) => (
            <HistoryItem key={approval.id} approval={approval} />
          ))}
        </ul>
      </section>
    </>
  );
}
