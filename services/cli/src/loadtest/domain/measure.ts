/**
 * From two scrapes of the services' /metrics to per-stage rates and per-process CPU and memory. Services that
 * report the same process (the all-in-one `telltale start`: every service's registry sees one Node process) are
 * grouped, so a process is counted once and its CPU is never split by guesswork. CPU is the rate of the process
 * CPU counter of the group's first service between the two scrapes (each registry counts from its own creation,
 * so the rates agree where the totals do not).
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
 * Which services share a process: the ones whose /metrics name the same host and process id
 * (`telltale_process_identity`, from the platform's metrics registry). prom-client's own process metrics cannot
 * tell: each registry counts CPU from its own creation. A service without the identity is its own process.
 */
export function processGroups(scrape: Scrape): string[][] {
  const byProcess = new Map<string, string[]>();
  for (const [service, samples] of scrape) {
    const identity = samples.find((s) => s.name === 'telltale_process_identity');
    const key = identity ? `${identity.labels.host}/${identity.labels.pid}` : `alone:${service}`;
    byProcess.set(key, [...(byProcess.get(key) ?? []), service]);
  }
  return [...byProcess.values()];
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
