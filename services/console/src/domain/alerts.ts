/**
 * The alerts screen's filters: the same filter state builds the `GET /v1/alerts` query, the SSE stream's query,
 * and decides whether a live alert belongs in the list shown (the stream cannot filter by acknowledgement).
 * A live feed repeats an alert at each transition: `mergeAlert` keeps one row per alert, the newest transition.
 */
export interface AlertFilters {
  readonly severity: string;
  readonly state: string;
  readonly fleet: string;
  readonly rule: string;
  readonly vin: string;
}

export const NO_FILTERS: AlertFilters = { severity: '', state: '', fleet: '', rule: '', vin: '' };

export function alertQuery(f: AlertFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  if (f.severity) q.set('minSeverity', f.severity);
  if (f.state === 'open') q.set('open', 'true');
  else if (f.state) q.append('state', f.state);
  if (f.fleet) q.set('fleet', f.fleet);
  if (f.rule) q.set('rule', f.rule);
  if (f.vin) q.set('vin', f.vin.toUpperCase());
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** The live stream accepts the same filters except `open` (it sends clears too, so they can leave the list). */
export function streamQuery(f: AlertFilters): string {
  return alertQuery({ ...f, state: f.state === 'open' ? '' : f.state });
}

const RANK: Readonly<Record<string, number>> = { info: 0, warning: 1, major: 2, critical: 3 };

export interface AlertRow {
  readonly alertId: string;
  readonly vin: string;
  readonly fleetId: string;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly severity: string;
  readonly state: string;
  readonly message: string;
  readonly raisedMs: number;
  readonly updatedMs: number;
  readonly acknowledged: boolean;
  /** The transition sequence this row reflects; higher wins. */
  readonly seq: number;
}

export function alertMatches(f: AlertFilters, a: AlertRow): boolean {
  if (f.severity && (RANK[a.severity] ?? 0) < (RANK[f.severity] ?? 0)) return false;
  if (f.state === 'open' && a.state === 'cleared') return false;
  if (f.state && f.state !== 'open' && a.state !== f.state) return false;
  if (f.fleet && a.fleetId !== f.fleet) return false;
  if (f.rule && a.ruleId !== f.rule) return false;
  if (f.vin && a.vin !== f.vin.toUpperCase()) return false;
  return true;
}

/** The list with `incoming` merged in: newest raise first, one row per alert, a later transition replacing. */
export function mergeAlert(list: readonly AlertRow[], incoming: AlertRow, limit = 500): AlertRow[] {
  const existing = list.find((a) => a.alertId === incoming.alertId);
  // An acknowledgement (seq 0) changes only the flag of an alert shown; one for an alert not shown is ignored.
  if (incoming.seq === 0)
    return existing ? list.map((a) => (a === existing ? { ...a, acknowledged: true } : a)) : [...list];
  if (existing && existing.seq > incoming.seq) return [...list];
  const merged = {
    ...incoming,
    raisedMs: existing?.raisedMs ?? incoming.raisedMs,
    acknowledged: incoming.acknowledged || (existing?.acknowledged ?? false),
  };
  const rest = list.filter((a) => a.alertId !== incoming.alertId);
  return [merged, ...rest]
    .sort((a, b) => b.raisedMs - a.raisedMs || a.alertId.localeCompare(b.alertId))
    .slice(0, limit);
}
