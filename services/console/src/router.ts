/** Client-side routes under /console/ (the API answers index.html for every one of them). */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

export type Route =
  | { readonly screen: 'fleet' }
  | { readonly screen: 'vehicle'; readonly vin: string }
  | { readonly screen: 'rules' }
  | { readonly screen: 'rule'; readonly ruleId: string | null }
  | { readonly screen: 'alerts'; readonly query: string }
  | { readonly screen: 'subscriptions' }
  | { readonly screen: 'catalog'; readonly modelId: string | null; readonly message: string | null };

export function parseRoute(pathname: string, search = ''): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'vehicles':
      return parts[1] ? { screen: 'vehicle', vin: parts[1] } : { screen: 'fleet' };
    case 'rules':
      if (parts[1] === 'new') return { screen: 'rule', ruleId: null };
      return parts[1] ? { screen: 'rule', ruleId: parts[1] } : { screen: 'rules' };
    case 'alerts':
      return { screen: 'alerts', query: search.replace(/^\?/, '') };
    case 'subscriptions':
      return { screen: 'subscriptions' };
    case 'catalog':
      return { screen: 'catalog', modelId: parts[1] ?? null, message: parts[2] ?? null };
    default:
      return { screen: 'fleet' };
  }
}

export function href(...parts: string[]): string {
  return `${BASE}/${parts.map(encodeURIComponent).join('/')}`;
}

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname, location.search));
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route;
}

/** Same-origin links navigate in place; modified clicks (new tab) are left to the browser. */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const a = (event.target as Element | null)?.closest('a');
  if (!a || a.target || !a.href.startsWith(location.origin + BASE)) return;
  event.preventDefault();
  const url = new URL(a.href);
  navigate(url.pathname + url.search);
}
