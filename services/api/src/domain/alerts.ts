/**
 * Alert queries, the pure part: the keyset cursor over (raised time descending, alert id ascending) and the severity
 * filter. A cursor is opaque to clients: base64url of `<raisedMs>.<alertId>`, the last alert of the previous page.
 */
import { SEVERITIES, severityRank, type Severity } from '@telltale/rules';

export interface AlertCursor {
  readonly raisedMs: number;
  readonly alertId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeAlertCursor(cursor: AlertCursor): string {
  return Buffer.from(`${cursor.raisedMs}.${cursor.alertId}`, 'utf8').toString('base64url');
}

export function decodeAlertCursor(text: string): AlertCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(text)) return undefined;
  const [ms, alertId, extra] = Buffer.from(text, 'base64url').toString('utf8').split('.');
  if (
    extra !== undefined ||
    ms === undefined ||
    alertId === undefined ||
    !/^-?\d{1,16}$/.test(ms) ||
    !UUID.test(alertId)
  )
    return undefined;
  const raisedMs = Number(ms);
  return Number.isSafeInteger(raisedMs) ? { raisedMs, alertId } : undefined;
}

/**
 * The severities a query admits: those listed (all when none), at least `min` when given. Empty when the two
 * exclude each other, which matches no alert.
 */
export function admittedSeverities(listed: readonly Severity[] | undefined, min: Severity | undefined): Severity[] {
  const base =
    listed === undefined || listed.length === 0 ? [...SEVERITIES] : SEVERITIES.filter((s) => listed.includes(s));
  return min === undefined ? base : base.filter((s) => severityRank(s) >= severityRank(min));
}
