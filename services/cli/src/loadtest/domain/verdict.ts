/**
 * Whether a step held its load: publish → stored p99 within the budget, every probe stored, and no consumer group
 * falling further behind. Lag "grows" when its trend over the measured window is more than 5 % of what the group
 * reads per second (a backlog that would never drain) and the lag at the end is above one second of input (plus what
 * a buffering consumer holds by design: `allowance`); a lag that wobbles around a constant (batching, transaction
 * markers) does not count.
 */
import { slope, type LatencySummary } from './stats.js';

export interface LagSeries {
  readonly group: string;
  readonly topic: string;
  /** [seconds since the step started, records behind]. */
  readonly samples: readonly (readonly [number, number])[];
  /** Records per second arriving on the topic during the step. */
  readonly inputPerS: number;
  /**
   * Records the group holds by design before it commits (the archive buffers up to one flush interval of input and
   * commits its offsets after the file is durable): a lag below this plus one second of input is not a backlog.
   */
  readonly allowance?: number;
}

export interface LagTrend {
  readonly group: string;
  readonly topic: string;
  readonly startLag: number;
  readonly endLag: number;
  readonly maxLag: number;
  /** Records per second the backlog changed by (least squares). */
  readonly slopePerS: number;
  readonly growing: boolean;
}

export const LAG_GROWTH_FRACTION = 0.05;

export function lagTrend(series: LagSeries): LagTrend {
  const lags = series.samples.map(([, lag]) => lag);
  const slopePerS = slope(series.samples);
  const endLag = lags[lags.length - 1] ?? 0;
  const growing =
    series.samples.length >= 3 &&
    slopePerS > Math.max(1, LAG_GROWTH_FRACTION * series.inputPerS) &&
    endLag > Math.max(1, series.inputPerS) + (series.allowance ?? 0);
  return {
    group: series.group,
    topic: series.topic,
    startLag: lags[0] ?? 0,
    endLag,
    maxLag: lags.length === 0 ? 0 : Math.max(...lags),
    slopePerS,
    growing,
  };
}

export interface StepVerdict {
  readonly held: boolean;
  /** Why not, one sentence each; empty when it held. */
  readonly reasons: readonly string[];
}

export function judgeStep(input: {
  readonly stored: LatencySummary;
  readonly lag: readonly LagTrend[];
  readonly budgetMs: number;
  /** The step was cut short by the time bound. */
  readonly cut: boolean;
}): StepVerdict {
  const reasons: string[] = [];
  if (input.cut) reasons.push('cut short by --max-seconds');
  if (input.stored.count === 0) reasons.push('no probe reached the store');
  else if (input.stored.p99 !== null && input.stored.p99 > input.budgetMs)
    reasons.push(`publish → stored p99 ${Math.round(input.stored.p99)} ms > ${input.budgetMs} ms`);
  if (input.stored.missing > 0) reasons.push(`${input.stored.missing} probe(s) not stored within the probe timeout`);
  for (const trend of input.lag)
    if (trend.growing)
      reasons.push(
        `lag of ${trend.group} on ${trend.topic} grows by ${Math.round(trend.slopePerS)} records/s ` +
          `(${trend.startLag} → ${trend.endLag})`,
      );
  return { held: reasons.length === 0, reasons };
}

/** The largest step that held, provided every smaller step held too; undefined when the first did not. */
export function highestHeld<T extends { readonly verdict: StepVerdict }>(steps: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const step of steps) {
    if (!step.verdict.held) break;
    best = step;
  }
  return best;
}
