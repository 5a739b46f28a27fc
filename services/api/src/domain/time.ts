/**
 * Time parameters of the API: milliseconds since the epoch (`1763700000000`) or ISO 8601 (`2025-11-21T08:00:00Z`,
 * `2025-11-21T09:00:00.250+01:00`, or a date alone, meaning 00:00 UTC). A date-time must name its offset: a
 * server's local time zone is no basis for a query.
 */
export type ParsedTime = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/** ECMAScript's Date range: ±8.64e15 ms. */
const MAX_MS = 8.64e15;
const DIGITS = /^\d{1,16}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})$/;

export function parseTimeParam(raw: string): ParsedTime {
  const text = raw.trim();
  if (DIGITS.test(text)) {
    const ms = Number(text);
    return ms <= MAX_MS ? { ok: true, ms } : { ok: false, reason: 'is beyond the representable range' };
  }
  const date = ISO_DATE.exec(text);
  const dateTime = date ? undefined : ISO_DATE_TIME.exec(text);
  if (!date && !dateTime) {
    return {
      ok: false,
      reason: 'must be milliseconds since the epoch or an ISO 8601 time with an offset, e.g. 2025-11-21T08:00:00Z',
    };
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', offset = 'Z'] = (date ?? dateTime)!;
  const month = Number(mo);
  const day = Number(d);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(Number(y), month) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return { ok: false, reason: 'is not a valid calendar date and time' };
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${frac.padEnd(3, '0').slice(0, 3)}${normaliseOffset(offset)}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? { ok: false, reason: 'is not a valid time' } : { ok: true, ms };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function normaliseOffset(offset: string): string {
  if (offset === 'Z' || offset === 'z') return 'Z';
  return offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
