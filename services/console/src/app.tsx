/**
 * The shell: sign-in until a key is accepted, then the navigation and the screen the URL names. Screens that need
 * heavy libraries (the rule editor: CodeMirror; charts: uPlot) load them on demand.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiFailure } from './api.js';
import { href, onLinkClick, useRoute, type Route } from './router.js';
import { storedToken, storeToken, tokenProblem } from './session.js';
import type { Me } from './types.js';
import { ErrorBox } from './ui.js';
import { FleetScreen } from './screens/fleet.js';
import { VehicleScreen } from './screens/vehicle.js';
import { RulesScreen, RuleScreen } from './screens/rules.js';
import { AlertsScreen } from './screens/alerts.js';
import { SubscriptionsScreen } from './screens/subscriptions.js';
import { CatalogScreen } from './screens/catalog.js';

export interface Session {
  readonly api: Api;
  readonly me: Me;
}

function SignIn({ onSignedIn, error: initial }: { onSignedIn: (s: Session) => void; error?: unknown }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(initial);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = tokenProblem(token);
    if (problem !== null) return setError(new Error(problem));
    setBusy(true);
    setError(undefined);
    const api = new Api(token.trim());
    try {
      const me = await api.get<Me>('/me');
      storeToken(api.token);
      onSignedIn({ api, me });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Telltale console</h1>
        <p class="muted">
          Sign in with an API key (<code>telltale keys create</code>). It is kept for this browser tab only.
        </p>
        <label for="token">API key</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          placeholder="tt_…"
          autofocus
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={error} what="Cannot sign in" />
      </form>
    </main>
  );
}

const NAV: readonly { screen: Route['screen'][]; to: string; label: string }[] = [
  { screen: ['fleet', 'vehicle'], to: href('vehicles'), label: 'Fleet' },
  { screen: ['alerts'], to: href('alerts'), label: 'Alerts' },
  { screen: ['rules', 'rule'], to: href('rules'), label: 'Rules' },
  { screen: ['subscriptions'], to: href('subscriptions'), label: 'Subscriptions' },
  { screen: ['catalog'], to: href('catalog'), label: 'Catalog' },
];

function Screen({ route, session }: { route: Route; session: Session }) {
  switch (route.screen) {
    case 'fleet':
      return <FleetScreen session={session} />;
    case 'vehicle':
      return <VehicleScreen session={session} vin={route.vin} />;
    case 'rules':
      return <RulesScreen session={session} />;
    case 'rule':
      return <RuleScreen key={route.ruleId ?? 'new'} session={session} ruleId={route.ruleId} />;
    case 'alerts':
      return <AlertsScreen session={session} query={route.query} />;
    case 'subscriptions':
      return <SubscriptionsScreen session={session} />;
    case 'catalog':
      return <CatalogScreen session={session} modelId={route.modelId} message={route.message} />;
  }
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedToken() !== null);
  const [restoreError, setRestoreError] = useState<unknown>(undefined);
  useEffect(() => {
    const token = storedToken();
    if (token === null) return;
    const api = new Api(token);
    api
      .get<Me>('/me')
      .then((me) => setSession({ api, me }))
      .catch((e: unknown) => {
        if (e instanceof ApiFailure && e.status === 401) storeToken(null);
        setRestoreError(e);
      })
      .finally(() => setRestoring(false));
  }, []);
  useEffect(() => {
    document.addEventListener('click', onLinkClick);
    return () => document.removeEventListener('click', onLinkClick);
  }, []);
  const signOut = useMemo(
    () => () => {
      storeToken(null);
      setSession(null);
    },
    [],
  );
  if (restoring) return <p class="empty">Signing in…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} error={restoreError} />;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href={href('vehicles')}>
          Telltale
        </a>
        <nav aria-label="Screens">
          {NAV.map((n) => (
            <a href={n.to} aria-current={n.screen.includes(route.screen) ? 'page' : undefined}>
              {n.label}
            </a>
          ))}
        </nav>
        <span class="who" title={`key ${session.me.keyId}`}>
          {session.me.name} · {session.me.role}
        </span>
        <button type="button" class="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen route={route} session={session} />
      </main>
    </div>
  );
}
