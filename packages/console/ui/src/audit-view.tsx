import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Session } from './api.js';
import type { AuditEntry, VerifyReport } from './types.js';
import { formatTime } from './use-now.js';

/** The filters, as the hash route carries them (`#/audit?tool=file.write&approval=…`). */
export interface AuditFilters {
  event: string;
  actor: string;
  tool: string;
  outcome: string;
  approval: string;
  from: string;
  to: string;
}

const EMPTY: AuditFilters = { event: '', actor: '', tool: '', outcome: '', approval: '', from: '', to: '' };
const EVENTS = ['tool_call', 'approval_requested', 'approval_decided', 'approval_expired', 'kill_switch', 'login', 'login_failed', 'token_refreshed', 'token_revoked', 'refresh_reuse_detected', 'user_created', 'user_deleted', 'content_filter_rule_added', 'content_filter_rule_removed', 'redaction_rules_set', 'tab_snapshot_shared', 'schedule_set', 'scheduled_run'];
const OUTCOMES = ['ok', 'queued', 'refused', 'failed'];

export function filtersFrom(query: URLSearchParams): AuditFilters {
  const filters = { ...EMPTY };
  for (const key of Object.keys(EMPTY) as Array<keyof AuditFilters>) filters[key] = query.get(key) ?? '';
  return filters;
}

function actorName(entry: AuditEntry): string {
  return entry.actor.user ?? entry.actor.name ?? entry.actor.type;
}

function detail(entry: AuditEntry, key: string): string {
  const value = entry.details[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function matches(entry: AuditEntry, f: AuditFilters): boolean {
  if (f.actor !== '' && !actorName(entry).toLowerCase().includes(f.actor.toLowerCase())) return false;
  if (f.tool !== '' && !detail(entry, 'tool').includes(f.tool)) return false;
  if (f.outcome !== '' && detail(entry, 'outcome') !== f.outcome && detail(entry, 'decision') !== f.outcome) return false;
  if (f.approval !== '' && detail(entry, 'approval_id') !== f.approval) return false;
  const ts = Date.parse(entry.ts);
  if (f.from !== '' && ts < Date.parse(f.from)) return false;
  if (f.to !== '' && ts > Date.parse(f.to)) return false;
  return true;
}

function VerifyStatus({ session }: { session: Session }): JSX.Element {
  const [report, setReport] = useState<VerifyReport | undefined>();
  const [error, setError] = useState<string | undefined>();
  const verify = (): void => {
    setError(undefined);
    session
      .json<VerifyReport>('/admin/audit/verify')
      .then(setReport)
      .catch((caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached'));
  };
  useEffect(verify, [session]);
  let text: string;
  if (error !== undefined) text = `Could not verify the chain: ${error}`;
  else if (report === undefined) text = 'Verifying the hash chain…';
  else if (report.ok) text = `Hash chain verified: ${report.entries} entries, intact up to #${report.last_seq}.`;
  else text = `Hash chain BROKEN at ${report.first_broken?.file ?? '?'} line ${report.first_broken?.line ?? '?'}: ${report.first_broken?.reason ?? 'unknown'}.`;
  return (
    <div class={`verify ${report?.ok === true ? 'verify-ok' : report === undefined && error === undefined ? '' : 'verify-bad'}`}>
      <p role="status" data-testid="verify-status">
        {text}
      </p>
      <button type="button" onClick={verify}>
        Verify again
      </button>
    </div>
  );
}

function Field({ label, name, value, onInput, type = 'text', list }: { label: string; name: keyof AuditFilters; value: string; onInput: (name: keyof AuditFilters, value: string) => void; type?: string; list?: string }): JSX.Element {
  return (
    <label>
      {label}
      <input type={type} name={name} value={value} list={list} onInput={(e) => onInput(name, e.currentTarget.value)} />
    </label>
  );
}

/** The last audit entries with filters, and whether the hash chain verifies. */
export function AuditView({ session, initial }: { session: Session; initial: AuditFilters }): JSX.Element {
  const [filters, setFilters] = useState<AuditFilters>(initial);
  const [entries, setEntries] = useState<AuditEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reloads, setReloads] = useState(0);
  useEffect(() => setFilters(initial), [initial]);
  useEffect(() => {
    const query = new URLSearchParams({ tail: '1000' });
    if (filters.event !== '') query.set('event', filters.event);
    setError(undefined);
    session
      .json<AuditEntry[]>(`/admin/audit?${query.toString()}`)
      .then(setEntries)
      .catch((caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached'));
  }, [session, filters.event, reloads]);
  const set = (name: keyof AuditFilters, value: string): void => setFilters((f) => ({ ...f, [name]: value }));
  const shown = (entries ?? []).filter((entry) => matches(entry, filters)).reverse();
  return (
    <section aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <VerifyStatus session={session} />
      <form class="filters" aria-label="Filter the audit entries" onSubmit={(e) => e.preventDefault()}>
        <label>
          Event
          <select name="event" value={filters.event} onChange={(e) => set('event', e.currentTarget.value)}>
            <option value="">any</option>
            {EVENTS.map((event) => (
              <option key={event} value={event}>
                {event}
              </option>
            ))}
          </select>
        </label>
        <Field label="Actor" name="actor" value={filters.actor} onInput={set} />
        <Field label="Tool" name="tool" value={filters.tool} onInput={set} />
        <label>
          Outcome
          <select name="outcome" value={filters.outcome} onChange={(e) => set('outcome', e.currentTarget.value)}>
            <option value="">any</option>
            {[...OUTCOMES, 'approved', 'rejected'].map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcome}
              </option>
            ))}
          </select>
        </label>
        <Field label="Approval id" name="approval" value={filters.approval} onInput={set} />
        <Field label="From" name="from" type="datetime-local" value={filters.from} onInput={set} />
        <Field label="To" name="to" type="datetime-local" value={filters.to} onInput={set} />
        <div class="buttons">
          <button type="button" onClick={() => setReloads((n) => n + 1)}>
            Reload
          </button>
          <button type="button" onClick={() => setFilters({ ...EMPTY })}>
            Clear filters
          </button>
        </div>
      </form>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted" role="status">
        {entries === undefined ? 'Loading…' : `${shown.length} of the last ${entries.length} entries`}
      </p>
      <div class="table-wrap">
        <table class="audit">
          <caption class="visually-hidden">Audit entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Actor</th>
              <th scope="col">Tool</th>
              <th scope="col">Outcome</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((entry) => (
              <tr key={entry.seq} data-event={entry.event}>
                <td>{entry.seq}</td>
                <td>
                  <time dateTime={entry.ts}>{formatTime(entry.ts)}</time>
                </td>
                <td>{entry.event}</td>
                <td>{actorName(entry)}</td>
                <td>{detail(entry, 'tool')}</td>
                <td>{detail(entry, 'outcome') || detail(entry, 'decision')}</td>
                <td>
                  <details>
                    <summary>
                      show<span class="visually-hidden"> details of entry {entry.seq}</span>
                    </summary>
                    <pre>{JSON.stringify(entry.details, null, 2)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
