/**
 * Rule backtests from the editor (POST /v1/rules/backtest, then GET …/{jobId} until it ends): the request built
 * from the form (checked before it is sent, so a typo is named at once), the progress line, the chart markers.
 */

export type BacktestState = 'running' | 'done' | 'failed' | 'cancelled';
export type TransitionState = 'raised' | 'escalated' | 'deescalated' | 'cleared';

export interface BacktestTransition {
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly vin: string;
  readonly ruleVersion: number;
  readonly state: TransitionState;
  readonly severity: string;
  readonly eventTimeMs: number;
  readonly timer: boolean;
  readonly message: string;
  readonly evidence: readonly {
    signal: string;
    qualifiedName: string;
    value: number | null;
    eventTimeMs: number | null;
    unit: string;
  }[];
}

export interface DiffEntry {
  readonly alertId: string;
  readonly transitionSeq: number;
  readonly vin: string;
  readonly state: string;
  readonly severity: string;
  readonly eventTimeMs: number;
}

export interface BacktestDiff {
  readonly live: number;
  readonly matched: number;
  readonly onlyBacktest: { count: number; items: DiffEntry[] };
  readonly onlyLive: { count: number; items: DiffEntry[] };
  readonly changed: { count: number; items: { backtest: DiffEntry; live: DiffEntry }[] };
}

export interface BacktestVehicle {
  readonly vin: string;
  readonly samples: number;
  readonly transitions: number;
  readonly raised: number;
  readonly flaps: number;
  readonly firstAlertMs: number | null;
  readonly timeToFirstAlertMs: number | null;
}

export interface BacktestJobJson {
  readonly id: string;
  readonly state: BacktestState;
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly draft: boolean;
  readonly from: string;
  readonly to: string;
  readonly vehicles: number;
  readonly progress: {
    fraction: number;
    hoursRead: number;
    hourGroups: number;
    files: number;
    samples: number;
    transitions: number;
    reached: string;
  } | null;
  readonly error: { code: string; message: string } | null;
  readonly result: {
    summary: {
      samples: number;
      transitions: number;
      byState: Record<TransitionState, number>;
      vehicles: BacktestVehicle[];
      vehiclesWithAlerts: number;
      flapping: { windowMs: number; count: number };
      diff: BacktestDiff | null;
    };
    transitions: BacktestTransition[];
    transitionsTotal: number;
    truncated: boolean;
    files: number;
    elapsedMs: number;
  } | null;
}

export interface BacktestForm {
  /** The editor's text, and the saved version's text (null for a new rule). */
  readonly text: string;
  readonly saved: { ruleId: string; version: number; text: string } | null;
  /** From the datetime inputs; NaN when empty or invalid (an empty end: now, when the server takes the job). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly scope: 'all' | 'fleet' | 'vins';
  readonly fleet: string;
  readonly vins: string;
}

export type BacktestRequest = Record<string, unknown> & { from: number; to?: number };

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
export const MAX_VINS = 500;

/** VINs typed in a box (spaces, commas or new lines between them), upper-cased, each once. */
export function parseVins(text: string): { vins: string[]; invalid: string[] } {
  const words = text
    .split(/[\s,;]+/)
    .map((w) => w.trim().toUpperCase())
    .filter((w) => w !== '');
  const unique = [...new Set(words)];
  return { vins: unique.filter((w) => VIN.test(w)), invalid: unique.filter((w) => !VIN.test(w)) };
}

/**
 * The POST body for the form, or the problem to show instead. The saved version is replayed when the editor still
 * holds it (so the result names that version); otherwise the editor's text is sent as a draft.
 */
export function backtestRequest(form: BacktestForm): { body: BacktestRequest } | { problem: string } {
  if (!Number.isFinite(form.fromMs)) return { problem: 'Give the start of the range.' };
  const toNow = !Number.isFinite(form.toMs);
  if (!toNow && form.toMs <= form.fromMs) return { problem: 'The end of the range must be after its start.' };
  let source: Record<string, unknown>;
  if (form.saved && form.text.trim() === form.saved.text.trim())
    source = { ruleId: form.saved.ruleId, version: form.saved.version };
  else {
    let rule: unknown;
    try {
      rule = JSON.parse(form.text);
    } catch (e) {
      return { problem: `The rule is not valid JSON: ${(e as Error).message}` };
    }
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
      return { problem: 'The rule must be a JSON object.' };
    source = { rule };
  }
  const body: BacktestRequest = { ...source, from: form.fromMs, ...(toNow ? {} : { to: form.toMs }) };
  if (form.scope === 'fleet') {
    if (form.fleet === '') return { problem: 'Pick a fleet.' };
    body.fleet = form.fleet;
  } else if (form.scope === 'vins') {
    const { vins, invalid } = parseVins(form.vins);
    if (invalid.length > 0)
      return { problem: `Not a VIN (17 characters, no I, O, Q): ${invalid.slice(0, 3).join(', ')}` };
    if (vins.length === 0) return { problem: 'Name at least one VIN.' };
    if (vins.length > MAX_VINS) return { problem: `At most ${MAX_VINS} VINs per backtest (${vins.length} given).` };
    body.vins = vins;
  }
  return { body };
}

/** The one-line progress of a job. */
export function progressLine(job: BacktestJobJson): string {
  const p = job.progress;
  const vehicles = `${job.vehicles.toLocaleString('en')} vehicle${job.vehicles === 1 ? '' : 's'}`;
  const r = job.result;
  if (job.state === 'done' && r) {
    const samples = r.summary.samples.toLocaleString('en');
    const transitions = r.transitionsTotal.toLocaleString('en');
    const seconds = (r.elapsedMs / 1000).toFixed(1);
    return `done in ${seconds} s · ${vehicles} · ${samples} samples · ${transitions} transitions`;
  }
  if (job.state === 'failed') return `failed: ${job.error?.message ?? 'no reason given'}`;
  if (job.state === 'cancelled') return 'cancelled';
  if (p === null) return `starting · ${vehicles}`;
  return (
    `${Math.floor(p.fraction * 100)} % · ${p.hoursRead} of ${p.hourGroups} hours read · ` +
    `${p.samples.toLocaleString('en')} samples · ${p.transitions.toLocaleString('en')} transitions · ${vehicles}`
  );
}

export interface TransitionMarker {
  readonly timeS: number;
  readonly label: string;
}

const SHORT: Readonly<Record<TransitionState, string>> = {
  raised: '▲ raised',
  escalated: '▲ escalated',
  deescalated: '▼ deescalated',
  cleared: '▼ cleared',
};

/** One vehicle's transitions as chart markers (seconds, uPlot's unit). */
export function transitionMarkers(transitions: readonly BacktestTransition[], vin: string): TransitionMarker[] {
  return transitions
    .filter((t) => t.vin === vin)
    .map((t) => ({ timeS: t.eventTimeMs / 1000, label: SHORT[t.state] }))
    .sort((a, b) => a.timeS - b.timeS);
}

/** The signal to plot for a vehicle's transitions: the one its evidence names most often (null without evidence). */
export function chartSignal(transitions: readonly BacktestTransition[], vin: string): string | null {
  const counts = new Map<string, number>();
  for (const t of transitions)
    if (t.vin === vin) for (const e of t.evidence) counts.set(e.qualifiedName, (counts.get(e.qualifiedName) ?? 0) + 1);
  let best: string | null = null;
  for (const [name, n] of counts) if (best === null || n > counts.get(best)!) best = name;
  return best;
}

/** The diff against live in one sentence. */
export function diffLine(diff: BacktestDiff | null): string {
  if (diff === null) return 'Not compared with live for this run.';
  if (diff.onlyBacktest.count === 0 && diff.onlyLive.count === 0 && diff.changed.count === 0)
    return `Same as live: all ${diff.matched.toLocaleString('en')} transitions match.`;
  return (
    `${diff.matched.toLocaleString('en')} of ${diff.live.toLocaleString('en')} live transitions matched · ` +
    `${diff.onlyBacktest.count.toLocaleString('en')} only in the backtest · ` +
    `${diff.onlyLive.count.toLocaleString('en')} only live · ${diff.changed.count.toLocaleString('en')} changed`
  );
}
