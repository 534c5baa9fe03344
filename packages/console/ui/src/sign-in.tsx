import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, Session } from './api.js';

/** Signs in with a gateway user; only approvers and admins get past it. */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (session: Session) => void; notice: string | undefined }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      const session = await Session.signIn(username, password);
      setPassword('');
      if (session.role === 'agent') {
        // An agent's token must not linger here: the session is revoked at once.
        await session.signOut().catch(() => undefined);
        setError('This account is an agent. The console is for approvers and admins.');
        return;
      }
      onSignedIn(session);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'the gateway could not be reached');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Agent Gateway console</h1>
      <p class="muted">Sign in as an approver or an admin to decide held tool calls.</p>
      {notice === undefined ? null : <p role="status">{notice}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          Username
          <input type="text" name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error === undefined ? null : (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
