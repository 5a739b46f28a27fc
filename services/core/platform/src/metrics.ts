/**
 * Prometheus metrics. Each service owns one registry; label values stay low-cardinality (a reason, a topic,
 * a model id), never a VIN.
 */
import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'telltale_' });
    // Which process serves this endpoint: services in one process (`telltale start`) report the same one, so a
    // reader (`telltale loadtest`) counts that process's CPU and memory once. Two labels, one series per process.
    new Gauge({
      name: 'telltale_process_identity',
      help: 'Always 1; its labels name the host and process id serving these metrics',
      labelNames: ['host', 'pid'],
      registers: [registry],
    }).set({ host: hostname(), pid: String(process.pid) }, 1);
  }
  return registry;
}

type Labels<L extends string> = readonly L[];

export function counter<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: Labels<L> = [],
): Counter<L> {
  return new Counter({ name: `telltale_${name}`, help, labelNames, registers: [registry] });
}

export function gauge<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: Labels<L> = [],
  /** Called at scrape time to set the current value(s); the scrape waits for a returned promise. */
  collect?: (gauge: Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return new Gauge({
    name: `telltale_${name}`,
    help,
    labelNames,
    registers: [registry],
    ...(collect
      ? {
          collect(this: Gauge<L>) {
            return collect(this);
          },
        }
      : {}),
  });
}

export function histogram<L extends string = never>(
  registry: Registry,
  name: string,
  help: string,
  options: { labelNames?: Labels<L>; buckets?: number[] } = {},
): Histogram<L> {
  return new Histogram({
    name: `telltale_${name}`,
    help,
    labelNames: options.labelNames ?? [],
    buckets: options.buckets ?? [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
}
