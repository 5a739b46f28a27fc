/**
 * From two scrapes of the services' /metrics to per-stage rates and per-process CPU and memory. Services that
 * report the same process (the all-in-one `telltale start`: every service's registry sees one Node process) are
 * grouped, so a process is counted once and its CPU is never split by guesswork.
 */
import { total, type Sample } from './prometheus.js';
import type { ProcessUsage, StageRate } from './report.js';
import { ratePerS } from './stats.js';

export type Scrape = ReadonlyMap<string, readonly Sample[]>;

/** The counters that show each stage's work; a service not scraped is left out. */
export const STAGES: readonly {
  readonly stage: string;
  readonly service: string;
  readonly metric: string;
  readonly where?: Readonly<Record<string, string>>;
  readonly unit: string;
}[] = [
  { stage: 'gateway frames', service: 'gateway', metric: 'telltale_gateway_frames_total', unit: 'frames' },
  {
    stage: 'gateway batches',
    service: 'gateway',
    metric: 'telltale_gateway_batches_total',
    where: { outcome: 'accepted' },
    unit: 'batches',
  },
  { stage: 'decoder frames in', service: 'decoder', metric: 'telltale_decoder_frames_total', unit: 'frames' },
  { stage: 'decoder signals out', service: 'decoder', metric: 'telltale_decoder_signals_total', unit: 'signals' },
  { stage: 'store samples', service: 'store', metric: 'telltale_store_samples_total', unit: 'samples' },
  {
    stage: 'diagnostics samples',
    service: 'diagnostics',
    metric: 'telltale_diagnostics_samples_total',
    unit: 'samples',
  },
];

/**
 * A counter's value in a scrape: a labelled counter has no series until its first increment, so a service that
 * answered without it counts 0; undefined only when the service did not answer.
 */
function counterValue(
  scrape: Scrape,
  service: string,
  metric: string,
  where: Readonly<Record<string, string>> = {},
): number | undefined {
  const samples = scrape.get(service);
  return samples === undefined ? undefined : (total(samples, metric, where) ?? 0);
}

export function stageRates(before: Scrape, after: Scrape, beforeMs: number, afterMs: number): StageRate[] {
  return STAGES.filter((s) => before.has(s.service) || after.has(s.service)).map((s) => ({
    stage: s.stage,
    service: s.service,
    unit: `${s.unit}/s`,
    perS: ratePerS(
      counterValue(before, s.service, s.metric, s.where),
      counterValue(after, s.service, s.metric, s.where),
      beforeMs,
      afterMs,
    ),
  }));
}

/** A counter's growth between two scrapes (null when either misses it). */
export function counterDelta(
  before: Scrape,
  after: Scrape,
  service: string,
  metric: string,
  where: Readonly<Record<string, string>> = {},
): number | null {
  const a = counterValue(before, service, metric, where);
  const b = counterValue(after, service, metric, where);
  return a === undefined || b === undefined ? null : b - a;
}

/**
 * Which services share a process: in one scrape round (all endpoints read at once), one process's registries report
 * the same start time, and CPU seconds and resident memory that differ only by what passed between the reads.
 * Separate processes differ in at least one of them.
 */
export function processGroups(scrape: Scrape): string[][] {
  const groups: { services: string[]; start: number; cpu: number; rss: number }[] = [];
  for (const [service, samples] of scrape) {
    const start = total(samples, 'telltale_process_start_time_seconds');
    const cpu = total(samples, 'telltale_process_cpu_seconds_total');
    const rss = total(samples, 'telltale_process_resident_memory_bytes');
    const same =
      start === undefined || cpu === undefined || rss === undefined
        ? undefined
        : groups.find(
            (g) =>
              g.start === start &&
              Math.abs(g.cpu - cpu) <= Math.max(0.25, 0.02 * cpu) &&
              Math.abs(g.rss - rss) <= 0.05 * rss,
          );
    if (same) same.services.push(service);
    else groups.push({ services: [service], start: start ?? NaN, cpu: cpu ?? NaN, rss: rss ?? NaN });
  }
  return groups.map((g) => g.services);
}

export function processUsage(
  groups: readonly (readonly string[])[],
  before: Scrape,
  after: Scrape,
  beforeMs: number,
  afterMs: number,
): ProcessUsage[] {
  return groups.map((services) => {
    const first = services[0]!;
    const cpu = ratePerS(
      total(before.get(first) ?? [], 'telltale_process_cpu_seconds_total'),
      total(after.get(first) ?? [], 'telltale_process_cpu_seconds_total'),
      beforeMs,
      afterMs,
    );
    const rss = total(after.get(first) ?? [], 'telltale_process_resident_memory_bytes');
    return {
      services,
      cpuPercent: cpu === null ? null : Math.round(cpu * 1000) / 10,
      rssMiB: rss === undefined ? null : Math.round(rss / 1048576),
    };
  });
}

export function attribution(groups: readonly (readonly string[])[]): string {
  const shared = groups.filter((g) => g.length > 1);
  if (shared.length === 0)
    return 'CPU and memory per service: each service is its own process (its /metrics process counters).';
  return (
    `${shared.map((g) => g.join(', ')).join('; ')} share one process (all-in-one), so their CPU and memory are ` +
    "reported for that process as a whole: one event loop's time cannot be split per service without " +
    "instrumenting every handler. Each service's share of the work shows in its stage rates."
  );
}
