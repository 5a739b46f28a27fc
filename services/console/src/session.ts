/**
 * The API key for this browser tab's session only (sessionStorage: gone when the tab closes, never sent anywhere
 * but this origin's /v1). What the key's role may do decides what the console offers.
 */
import type { Me, Role } from './types.js';

const KEY = 'telltale.apiKey';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage disabled: the key lives as long as the page.
  }
}

const RANK: Readonly<Record<Role, number>> = { viewer: 0, engineer: 1, admin: 2 };

export function may(me: Me | null, role: Role): boolean {
  return me !== null && RANK[me.role] >= RANK[role];
}

/** `tt_<12 hex>_<48 hex>`; checked before a request so a typo is named at once. */
export function tokenProblem(token: string): string | null {
  if (token.trim() === '') return 'Paste an API key.';
  if (!/^tt_[0-9a-f]{12}_[0-9a-f]{48}$/.test(token.trim()))
    return 'An API key looks like tt_<12 hex digits>_<48 hex digits> (telltale keys create prints one).';
  return null;
}
