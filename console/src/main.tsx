/**
 * The Flywheel console: a static single-page app over the public GraphQL API. The shell signs the user
 * in (bearer token or API key, or none while the gateway runs with authentication off), asks the API who
 * that is (`viewer`), and shows the pages the role may use. Routes are URL hashes (#/anomalies, #/item/42),
 * so the gateway serves one page and reloads keep the place.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './console.css';
import { ApiError, loadCredentials, onSignOut, request, setCredentials, type Credentials } from './api';
import { ConsoleViewerDocument, type ConsoleViewerQuery } from './generated/graphql';
import { OverviewPage } from './pages/overview';
import { AnomaliesPage } from './pages/anomalies';
import { SegmentsPage } from './pages/segments';
import { ShopperPage } from './pages/shopper';
import { ItemPage } from './pages/item';
import { DataQualityPage } from './pages/quality';
import { ExperimentsPage } from './pages/experiments';

type Viewer = ConsoleViewerQuery['viewer'];

interface Route {
  path: string;
  title: string;
  /** Roles that see the page in the navigation (the API enforces the rules either way). */
  roles: string[];
}

const ANALYSTS = ['analyst', 'admin'];
const ROUTES: Route[] = [
  { path: 'overview', title: 'Overview', roles: ANALYSTS },
  { path: 'anomalies', title: 'Anomalies', roles: ANALYSTS },
  { path: 'segments', title: 'Segments', roles: ANALYSTS },
  { path: 'shopper', title: 'Shopper view', roles: ['shopper', 'service', ...ANALYSTS] },
  { path: 'item', title: 'Item view', roles: ['shopper', 'service', ...ANALYSTS] },
  { path: 'quality', title: 'Data quality', roles: ANALYSTS },
  { path: 'experiments', title: 'Experiments', roles: ANALYSTS },
];

function parseHash(): { page: string; arg: string | null } {
  const parts = window.location.hash.replace(/^#\/?/, '').split('/');
  return { page: parts[0] || '', arg: parts[1] ? decodeURIComponent(parts.slice(1).join('/')) : null };
}

function useHash() {
  const [hash, setHash] = useState(parseHash());
  useEffect(() => {
    const on = () => setHash(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function SignIn({ onSignedIn, error }: { onSignedIn: (c: Credentials) => void; error: string | null }) {
  const [kind, setKind] = useState<Credentials['kind']>('token');
  const [value, setValue] = useState('');
  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1>Flywheel console</h1>
      <p>Sign in with the credentials you use for the GraphQL API. They stay in this browser tab only.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSignedIn({ kind, value: kind === 'none' ? '' : value.trim() });
        }}
      >
        <fieldset>
          <legend>Credentials</legend>
          <label>
            <input type="radio" name="kind" checked={kind === 'token'} onChange={() => setKind('token')} /> Bearer token (JWT)
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'apiKey'} onChange={() => setKind('apiKey')} /> API key
          </label>
          <label>
            <input type="radio" name="kind" checked={kind === 'none'} onChange={() => setKind('none')} /> None (a gateway with authentication off)
          </label>
        </fieldset>
        {kind !== 'none' ? (
          <label class="block">
            {kind === 'token' ? 'Token' : 'API key'}
            <input type="password" name="secret" autoComplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required />
          </label>
        ) : null}
        <button type="submit">Sign in</button>
      </form>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
    </main>
  );
}

function Page({ route, arg, viewer }: { route: Route; arg: string | null; viewer: Viewer }) {
  switch (route.path) {
    case 'overview':
      return <OverviewPage />;
    case 'anomalies':
      return <AnomaliesPage />;
    case 'segments':
      return <SegmentsPage viewer={viewer} />;
    case 'shopper':
      return <ShopperPage userId={arg ?? (viewer.role === 'shopper' ? viewer.subject : null)} analyst={viewer.role === 'analyst' || viewer.role === 'admin'} />;
    case 'item':
      return <ItemPage itemId={arg} viewer={viewer} />;
    case 'quality':
      return <DataQualityPage />;
    default:
      return <ExperimentsPage role={viewer.role} />;
  }
}

function App() {
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [checking, setChecking] = useState(loadCredentials() !== null);
  const [error, setError] = useState<string | null>(null);
  const { page, arg } = useHash();
  const main = useRef<HTMLElement>(null);

  const signIn = (c: Credentials) => {
    setCredentials(c);
    setChecking(true);
    setError(null);
    request(ConsoleViewerDocument).then(
      (d) => {
        setViewer(d.viewer);
        setChecking(false);
      },
      (e: unknown) => {
        setCredentials(null);
        setViewer(null);
        setChecking(false);
        setError(e instanceof ApiError ? `Sign-in refused: ${e.message}` : String(e));
      },
    );
  };
  const signOut = () => {
    setCredentials(null);
    setViewer(null);
  };

  useEffect(() => {
    const c = loadCredentials();
    if (c) signIn(c);
    return onSignOut(() => {
      signOut();
      setError('Your credentials were refused or have expired: sign in again.');
    });
  }, []);

  const allowed = viewer ? ROUTES.filter((r) => r.roles.includes(viewer.role)) : [];
  const route = allowed.find((r) => r.path === page) ?? allowed[0];

  // After a route change (not on the first page shown, where the skip link comes first), focus moves to the
  // page so keyboard and screen-reader users start reading there.
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (!route) return;
    document.title = `${route.title} · Flywheel console`;
    const key = `${route.path}/${arg ?? ''}`;
    if (shown.current !== null && shown.current !== key) main.current?.focus({ preventScroll: true });
    shown.current = key;
  }, [route?.path, arg]);

  if (checking) return <p class="loading">Signing in…</p>;
  if (!viewer || !route) return <SignIn onSignedIn={signIn} error={error ?? (viewer ? `The role ${viewer.role} has no console pages.` : null)} />;

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Flywheel</span>
        <nav aria-label="Console pages">
          <ul>
            {allowed.map((r) => (
              <li key={r.path}>
                <a href={`#/${r.path}`} aria-current={r.path === route.path ? 'page' : undefined}>
                  {r.title}
                </a>
              </li>
            ))}
            {viewer.role === 'analyst' || viewer.role === 'admin' ? (
              <li>
                <a href="/graphiql">GraphiQL</a>
              </li>
            ) : null}
          </ul>
        </nav>
        <span class="who">
          {viewer.authenticated ? `${viewer.subject ?? 'signed in'} (${viewer.role})` : `authentication off (${viewer.role})`}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" ref={main} tabIndex={-1} aria-labelledby="page-title">
        <Page route={route} arg={arg} viewer={viewer} />
      </main>
    </div>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
