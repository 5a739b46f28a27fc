/**
 * Live alert streams: which Redis streams a caller reads, and the resume cursor. An SSE event id (and a WebSocket
 * message's `id`) is the position in every stream the connection reads: `<fleet>:<redis stream id>` joined by
 * commas, e.g. `fleet-a:1763712000000-0,fleet-b:1763712000123-1` (`*:<id>` for keys that see every fleet). Sent
 * back as Last-Event-ID, it resumes each stream after that position.
 */
import { ANY_FLEET } from '@telltale/rules/alerts';
import { fleetScope, type Principal } from './access.js';

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

export function formatCursor(positions: ReadonlyMap<string, string>): string {
  return [...positions].map(([fleet, id]) => `${fleet}:${id}`).join(',');
}

/** Positions named by a cursor; entries for fleets not in `fleets` are ignored, malformed ones are an error. */
export function parseCursor(
  cursor: string,
  fleets: readonly string[],
): { ok: true; positions: Map<string, string> } | { ok: false; reason: string } {
  const positions = new Map<string, string>();
  for (const part of cursor.split(',')) {
    const at = part.lastIndexOf(':');
    const fleet = part.slice(0, at);
    const id = part.slice(at + 1);
    if (at <= 0 || !STREAM_ID.test(id)) return { ok: false, reason: `"${part}" is not <fleet>:<stream id>` };
    if (fleets.includes(fleet)) positions.set(fleet, id);
  }
  return { ok: true, positions };
}

/**
 * The streams a connection reads: the requested fleets (all of the key's when none are named), each within the
 * key's scope; a key that sees every fleet reads the '*' stream unless it names fleets. Unknown fleets are
 * forbidden, like fleets the key does not see: fleet ids are not secret, but the answer must not differ.
 */
export function streamFleets(
  principal: Principal,
  requested: readonly string[],
): { ok: true; fleets: string[] } | { ok: false; fleet: string } {
  const scope = fleetScope(principal.fleets);
  if (requested.length === 0) return { ok: true, fleets: scope.all ? [ANY_FLEET] : [...principal.fleets] };
  for (const fleet of requested) {
    if (fleet === ANY_FLEET ? !scope.all : !scope.all && !scope.fleets.has(fleet)) return { ok: false, fleet };
  }
  return { ok: true, fleets: [...new Set(requested)] };
}
