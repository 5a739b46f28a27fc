/**
 * Shadow mode on the rule screen: what GET /v1/rules/{id}/shadow answers, as side-by-side rows and a one-line
 * verdict, and the body that deploys the editor's rule as shadow. Pure.
 */
export interface ShadowSide {
  readonly transitions: number;
  readonly byState: Readonly<Record<'raised' | 'escalated' | 'deescalated' | 'cleared', number>>;
  readonly vehiclesAlerted: number;
  readonly versions: readonly number[];
  readonly truncated: boolean;
}

export interface ShadowComparisonJson {
  readonly activeVersion: number;
  readonly shadowVersion: number | null;
  readonly shadowDeployed: boolean;
  readonly shadowSince: string | null;
  readonly from: string;
  readonly to: string;
  readonly active: ShadowSide;
  readonly shadow: ShadowSide;
  readonly vehicles: readonly {
    readonly vin: string;
    readonly active: { readonly transitions: number; readonly raised: number };
    readonly shadow: { readonly transitions: number; readonly raised: number };
  }[];
  readonly vehiclesTotal: number;
  readonly diff: {
    readonly matched: number;
    readonly onlyShadow: { readonly count: number };
    readonly onlyActive: { readonly count: number };
    readonly changed: { readonly count: number };
  };
}

export interface SideBySideRow {
  readonly label: string;
  readonly active: string;
  readonly shadow: string;
}

const count = (n: number, truncated: boolean): string => (truncated ? `≥ ${n}` : String(n));

/** The rows of the side-by-side table: versions, transitions, raises … clears, vehicles alerted. */
export function sideBySide(c: ShadowComparisonJson): SideBySideRow[] {
  const row = (label: string, pick: (s: ShadowSide) => string): SideBySideRow => ({
    label,
    active: pick(c.active),
    shadow: pick(c.shadow),
  });
  return [
    {
      label: 'version',
      active: c.active.versions.length > 0 ? c.active.versions.map((v) => `v${v}`).join(', ') : `v${c.activeVersion}`,
      shadow: c.shadowVersion === null ? '–' : `v${c.shadowVersion}`,
    },
    row('transitions', (s) => count(s.transitions, s.truncated)),
    row('raised', (s) => String(s.byState.raised)),
    row('escalated', (s) => String(s.byState.escalated)),
    row('de-escalated', (s) => String(s.byState.deescalated)),
    row('cleared', (s) => String(s.byState.cleared)),
    row('vehicles alerted', (s) => String(s.vehiclesAlerted)),
  ];
}

/** One sentence: what only one side did. */
export function shadowVerdict(c: ShadowComparisonJson): string {
  if (c.shadowVersion === null) return 'No shadow version has run for this rule.';
  const { matched, onlyShadow, onlyActive, changed } = c.diff;
  if (onlyShadow.count === 0 && onlyActive.count === 0 && changed.count === 0)
    return matched === 0
      ? 'Neither version made a transition in this range.'
      : `Both versions made the same ${matched} transition${matched === 1 ? '' : 's'}.`;
  const parts = [
    `the shadow made ${onlyShadow.count} transition${onlyShadow.count === 1 ? '' : 's'} the active version did not`,
    `the active version made ${onlyActive.count} the shadow did not`,
  ];
  if (changed.count > 0) parts.push(`${changed.count} differ in state, severity or time`);
  return `${matched} matched; ${parts.join('; ')}.`;
}

/** POST /v1/rules/{id}/shadow: the editor's text as a new version, or the saved version it still holds. */
export function shadowRequest(
  text: string,
  saved: { readonly version: number; readonly text: string } | null,
): { version: number } | { rule: unknown } {
  if (saved !== null && text === saved.text) return { version: saved.version };
  return { rule: JSON.parse(text) as unknown };
}
