/** The report as text: a table per step and the verdict, for the terminal. */
import type { LoadTestReport, StepResult } from './report.js';
import type { LatencySummary } from './stats.js';
import { formatNumber } from './svg-chart.js';

export const ms = (s: LatencySummary): string =>
  (s.count === 0 ? '—' : `${Math.round(s.p50!)}/${Math.round(s.p99!)}`) + (s.missing > 0 ? ` (${s.missing} lost)` : '');

const rate = (step: StepResult, stage: string): string => {
  const r = step.stages.find((s) => s.stage === stage)?.perS;
  return r === null || r === undefined ? '—' : formatNumber(r);
};

export function summaryText(report: LoadTestReport): string {
  const header = [
    'vehicles',
    'offered fr/s',
    'gateway fr/s',
    'decoded sig/s',
    'stored smp/s',
    'p50/p99 decoded',
    'p50/p99 stored',
    'p50/p99 alert',
    'max lag',
    'held',
  ];
  const rows = report.steps.map((s) => [
    String(s.vehicles),
    formatNumber(s.offeredFramesPerS),
    rate(s, 'gateway frames'),
    rate(s, 'decoder signals out'),
    rate(s, 'store samples'),
    ms(s.latency.decoded),
    ms(s.latency.stored),
    ms(s.latency.alert),
    formatNumber(Math.max(0, ...s.lag.map((l) => l.maxLag))),
    s.verdict.held ? 'yes' : `no: ${s.verdict.reasons.join('; ')}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.slice().map((r) => (i === 9 ? 3 : r[i]!.length))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padStart(widths[i]!))).join('  ');
  const highest = report.highest
    ? `Highest rate held: ${report.highest.vehicles} × ${report.plan.modelId} = ` +
      `${formatNumber(report.highest.framesPerS)} frames/s (publish → stored p99 ≤ ${report.plan.budgetMs} ms, ` +
      'no growing lag).'
    : `No step held (publish → stored p99 ≤ ${report.plan.budgetMs} ms, no growing lag).`;
  return [
    `Load test of ${report.target.description}, ${report.plan.modelId}, ${report.plan.stepSeconds} s per step ` +
      '(latencies in ms: one probe vehicle, publish → decoded on the topic, → committed in PostgreSQL, → alert)',
    line(header),
    ...rows.map(line),
    highest,
    `Machine: ${report.machine.cpus} cores; uptime before: ${report.machine.uptimeBefore.trim()}`,
    `                   after: ${report.machine.uptimeAfter.trim()}`,
  ].join('\n');
}

/** One line of progress: a bar over the whole planned run, the step and what the simulator reports. */
export function progressLine(input: {
  readonly elapsedS: number;
  readonly totalS: number;
  readonly step: number;
  readonly steps: number;
  readonly vehicles: number;
  readonly framesPerS: number;
  readonly probes: number;
  readonly lastStoredMs: number | null;
  readonly width?: number;
}): string {
  const width = input.width ?? 24;
  const fraction = Math.min(1, Math.max(0, input.elapsedS / Math.max(1, input.totalS)));
  const filled = Math.round(fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const left = Math.max(0, Math.round(input.totalS - input.elapsedS));
  return (
    `${bar} ${String(Math.round(fraction * 100)).padStart(3)}%  step ${input.step}/${input.steps}: ` +
    `${input.vehicles} vehicles, ${formatNumber(input.framesPerS)} frames/s, ${input.probes} probes, ` +
    `last stored ${input.lastStoredMs === null ? '—' : `${Math.round(input.lastStoredMs)} ms`}, ~${left} s left`
  );
}
