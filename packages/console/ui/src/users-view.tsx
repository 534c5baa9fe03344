import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Session } from './api.js';
import type { UserView } from './types.js';
import { formatTime } from './use-now.js';

function messageOf(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : 'the gateway could not be reached';
}

function NewUserForm({ session, onSaved }: { session: Session; onSaved: () => void }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('approver');
  const [tools, setTools] = useState('');
  const [message, setMessage] = useState<{ error: boolean; text: string } | undefined>();
  const submit = async (): Promise<void> => {
    const allowList = tools
      .split(',')
      .map((tool) => tool.trim())
      .filter((tool) => tool !== '');
    try {
      const answer = await session.post<{ created: boolean }>('/admin/users', { username, password, role, ...(allowList.length === 0 ? {} : { tools: allowList }) });
      setMessage({ error: false, text: answer.created ? `Created ${username}.` : `Replaced ${username}: their tokens stop working.` });
      setPassword('');
      onSaved();
    } catch (caught) {
      setMessage({ error: true, text: messageOf(caught) });
    }
  };
  return (
    <form
      class="user-form"
      aria-labelledby="new-user-heading"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3 id="new-user-heading">Create or replace a user</h3>
      <label>
        Username
        <input type="text" required autoComplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
      </label>
      <label>
        Password (at least 8 characters)
        <input type="password" required minLength={8} autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          <option value="approver">approver</option>
          <option value="agent">agent</option>
          <option value="admin">admin</option>
        </select>
      </label>
      <label>
        Tools (comma-separated patterns; empty for every tool)
        <input type="text" value={tools} onInput={(e) => setTools(e.currentTarget.value)} />
      </label>
      <button type="submit">Save user</button>
      {message === undefined ? null : (
        <p class={message.error ? 'error' : 'ok'} role={message.error ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
    </form>
  );
}

/** The gateway's users: admins list, create, replace and delete them; approvers are told the API keeps the list to admins. */
export function UsersView({ session }: { session: Session }): JSX.Element {
  const [users, setUsers] = useState<UserView[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [confirmDelete, setConfirmDelete] = useState<string | undefined>();
  const [reloads, setReloads] = useState(0);
  const isAdmin = session.role === 'admin';
  useEffect(() => {
    if (!isAdmin) return;
    session
      .json<{ users: UserView[] }>('/admin/users')
      .then((answer) => setUsers(answer.users))
      .catch((caught: unknown) => setError(messageOf(caught)));
  }, [session, isAdmin, reloads]);
  const remove = async (username: string): Promise<void> => {
    setError(undefined);
    try {
      await session.json(`/admin/users/${encodeURIComponent(username)}`, { method: 'DELETE' });
      setConfirmDelete(undefined);
      setReloads((n) => n + 1);
    } catch (caught) {
      setError(messageOf(caught));
    }
  };
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      {!isAdmin ? (
        <p class="note">Only admins can see and change the gateway's users.</p>
      ) : (
        <>
          {error === undefined ? null : (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">The gateway's users</caption>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Role</th>
                  <th scope="col">Tools</th>
                  <th scope="col">Changed</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {(users ?? []).map((user) => (
                  <tr key={user.id}>
                    <td>{user.username}</td>
                    <td>{user.role}</td>
                    <td>{user.tools === null ? 'every tool' : user.tools.join(', ')}</td>
                    <td>{formatTime(user.updated_at)}</td>
                    <td>
                      {confirmDelete === user.username ? (
                        <span class="buttons">
                          <button type="button" class="danger" onClick={() => void remove(user.username)}>
                            Yes, delete {user.username}
                          </button>
                          <button type="button" onClick={() => setConfirmDelete(undefined)}>
                            Cancel
                          </button>
                        </span>
                      ) : (
                        <button type="button" disabled={user.username.toLowerCase() === session.username.toLowerCase()} onClick={() => setConfirmDelete(user.username)}>
                          Delete<span class="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <NewUserForm session={session} onSaved={() => setReloads((n) => n + 1)} />
        </>
      )}
    </section>
  );
}
