import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, type Session } from './api.js';
import type { KillSwitchState } from './types.js';
import { formatTime } from './use-now.js';

/** The kill switch: its state for approvers, and for admins a toggle with a typed reason and a confirmation. */
export function KillSwitchView({ session, state, onChanged }: { session: Session; state: KillSwitchState | undefined; onChanged: (state: KillSwitchState) => void }): JSX.Element {
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  if (state === undefined) return <p role="status">Loading the kill switch…</p>;
  const target = !state.enabled;
  const action = target ? 'Turn the kill switch on' : 'Turn the kill switch off';
  const change = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await session.post<KillSwitchState>('/admin/kill-switch', { enabled: target, reason: reason.trim() }));
      setReason('');
      setConfirming(false);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="kill-heading">
      <h2 id="kill-heading">Kill switch</h2>
      <p class={`kill-state ${state.enabled ? 'kill-on' : 'kill-off'}`} role="status" data-testid="kill-state">
        {state.enabled ? 'ON: every tool call is refused (423).' : 'Off: tool calls are served.'}
      </p>
      {state.changed_at === undefined ? null : (
        <p class="muted">
          Last changed {formatTime(state.changed_at)}
          {state.changed_by === undefined ? '' : ` by ${state.changed_by}`}
          {state.reason === undefined || state.reason === '' ? '' : `: “${state.reason}”`}
        </p>
      )}
      {session.role !== 'admin' ? (
        <p class="note">Only an admin can turn the kill switch on or off.</p>
      ) : (
        <form
          class="kill-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim() !== '') setConfirming(true);
          }}
        >
          <label>
            Reason (required, written to the audit log)
            <input type="text" required maxLength={1000} value={reason} disabled={confirming} onInput={(e) => setReason(e.currentTarget.value)} />
          </label>
          {!confirming ? (
            <button type="submit" class={target ? 'danger' : ''} disabled={reason.trim() === ''}>
              {action}…
            </button>
          ) : (
            <div class="confirm" role="group" aria-labelledby="kill-confirm-text">
              <p id="kill-confirm-text">
                {target ? 'Every tool call will be refused until the switch is turned off again. ' : 'Tool calls will be served again. '}
                Are you sure?
              </p>
              <div class="buttons">
                <button type="button" class={target ? 'danger' : ''} disabled={busy} onClick={() => void change()}>
                  Yes, {action.toLowerCase()}
                </button>
                <button type="button" disabled={busy} onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
          {error === undefined ? null : (
            <p class="error" role="alert">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
