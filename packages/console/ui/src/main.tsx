import type { JSX } from 'preact';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Session } from './api.js';
import { ApprovalsView } from './approvals-view.js';
import { AuditView, filtersFrom } from './audit-view.js';
import { KillSwitchView } from './kill-switch-view.js';
import { SignIn } from './sign-in.js';
import { ToolsView } from './tools-view.js';
import type { KillSwitchState } from './types.js';
import { useApprovals } from './use-approvals.js';
import { UsersView } from './users-view.js';

const VIEWS = [
  { id: 'approvals', label: 'Approvals' },
  { id: 'audit', label: 'Audit log' },
  { id: 'kill-switch', label: 'Kill switch' },
  { id: 'tools', label: 'Tools' },
  { id: 'users', label: 'Users' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

interface Route {
  readonly view: ViewId;
  readonly query: string;
}

/** `#/audit?approval=…`: the view and its query live in the hash, so the server serves one page. */
function routeOf(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const view = VIEWS.find((v) => v.id === path)?.id ?? 'approvals';
  return { view, query };
}

function useRoute(): Route {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const onHash = (): void => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function Console({ session, onSignOut }: { session: Session; onSignOut: () => void }): JSX.Element {
  const route = useRoute();
  const feed = useApprovals(session);
  const [killSwitch, setKillSwitch] = useState<KillSwitchState | undefined>();
  useEffect(() => {
    session.json<KillSwitchState>('/admin/kill-switch').then(setKillSwitch, () => undefined);
  }, [session, route.view]);
  const pending = [...feed.approvals.values()].filter((a) => a.state === 'pending').length;
  const current = VIEWS.find((v) => v.id === route.view) ?? VIEWS[0];
  useEffect(() => {
    document.title = `${current.label}${pending > 0 ? ` (${pending})` : ''} · Agent Gateway console`;
  }, [current, pending]);
  const auditFilters = useMemo(() => filtersFrom(new URLSearchParams(route.query)), [route.query]);
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <h1>Agent Gateway console</h1>
        <p class="who">
          Signed in as <strong>{session.username}</strong> ({session.role})
        </p>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {killSwitch?.enabled === true ? (
        <p class="banner-kill" role="status">
          The kill switch is ON: every tool call is refused.
        </p>
      ) : null}
      <nav aria-label="Sections">
        <ul>
          {VIEWS.map((view) => (
            <li key={view.id}>
              <a href={`#/${view.id}`} aria-current={view.id === route.view ? 'page' : undefined}>
                {view.label}
                {view.id === 'approvals' && pending > 0 ? <span class="count"> ({pending})</span> : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {route.view === 'approvals' ? <ApprovalsView session={session} feed={feed} /> : null}
        {route.view === 'audit' ? <AuditView session={session} initial={auditFilters} /> : null}
        {route.view === 'kill-switch' ? <KillSwitchView session={session} state={killSwitch} onChanged={setKillSwitch} /> : null}
        {route.view === 'tools' ? <ToolsView session={session} /> : null}
        {route.view === 'users' ? <UsersView session={session} /> : null}
      </main>
    </>
  );
}

function App(): JSX.Element {
  const [session, setSession] = useState<Session | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  useEffect(() => {
    if (session === undefined) return;
    session.onEnded = (reason) => {
      setNotice(reason === 'signed out' ? 'You are signed out.' : reason);
      setSession(undefined);
    };
  }, [session]);
  if (session === undefined) return <SignIn onSignedIn={(s) => { setNotice(undefined); setSession(s); }} notice={notice} />;
  return <Console session={session} onSignOut={() => void session.signOut().catch(() => undefined)} />;
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
