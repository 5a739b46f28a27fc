/**
 * Metrics every committing consumer exports, whichever service runs it (one definition, so one dashboard and one
 * alert rule fit them all):
 *
 *   telltale_consumer_lag_records{group,topic,partition}    log end offset − committed offset, read at scrape time
 *   telltale_consumer_batch_seconds{group,topic}            handler time per partition batch (processing time)
 *   telltale_consumer_records_total{group,topic}            records handed to the handler
 *   telltale_consumer_batch_failures_total{group,topic}     handler rejections (the batch comes again)
 *   telltale_consumer_lag_errors_total{group}               scrapes whose offsets could not be read in time
 *
 * The lag is what an operator means by lag: how far the group's committed position is behind the log end, read from
 * the brokers (admin offsets), so it is also right for a partition this member does not own or that has stalled. A
 * group with no commit on a partition counts from the log start. Labels: group, topic and partition — never a VIN.
 */
import type { Admin, Kafka } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

interface LagSource {
  readonly groupId: string;
  /** Reads the lag of every partition of the group's topics. */
  read(): Promise<Array<{ topic: string; partition: number; lag: number }>>;
}

interface ConsumerMetricSet {
  readonly lag: Gauge<'group' | 'topic' | 'partition'>;
  readonly batchSeconds: Histogram<'group' | 'topic'>;
  readonly records: Counter<'group' | 'topic'>;
  readonly failures: Counter<'group' | 'topic'>;
  readonly lagErrors: Counter<'group'>;
  readonly sources: Set<LagSource>;
}

const perRegistry = new WeakMap<Registry, ConsumerMetricSet>();

/** How long a scrape waits for the brokers' offsets before it reports the last values it has. */
const LAG_READ_TIMEOUT_MS = 2000;

function metricSet(registry: Registry): ConsumerMetricSet {
  const existing = perRegistry.get(registry);
  if (existing) return existing;
  const sources = new Set<LagSource>();
  const lagErrors = new Counter({
    name: 'telltale_consumer_lag_errors_total',
    help: 'Scrapes that could not read a consumer group offsets in time (the lag keeps its last value)',
    labelNames: ['group'] as const,
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'telltale_consumer_lag_records',
    help: 'Records between the consumer group committed offset and the log end, per partition (read at scrape time)',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    async collect(this: Gauge<'group' | 'topic' | 'partition'>) {
      await Promise.all(
        [...sources].map(async (source) => {
          try {
            for (const p of await withTimeout(source.read(), LAG_READ_TIMEOUT_MS)) {
              this.set({ group: source.groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
            }
          } catch {
            lagErrors.inc({ group: source.groupId });
          }
        }),
      );
    },
  });
  const set: ConsumerMetricSet = {
    lag,
    lagErrors,
    sources,
    batchSeconds: new Histogram({
      name: 'telltale_consumer_batch_seconds',
      help: 'Handler time per partition batch, until its output is durable (processing time)',
      labelNames: ['group', 'topic'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    records: new Counter({
      name: 'telltale_consumer_records_total',
      help: 'Records handed to the consumer handler',
      labelNames: ['group', 'topic'] as const,
      registers: [registry],
    }),
    failures: new Counter({
      name: 'telltale_consumer_batch_failures_total',
      help: 'Partition batches whose handler failed (nothing committed; the batch is consumed again)',
      labelNames: ['group', 'topic'] as const,
      registers: [registry],
    }),
  };
  perRegistry.set(registry, set);
  return set;
}

export interface ConsumerMetrics {
  /** Records one handled partition batch. */
  batch(topic: string, records: number, seconds: number, ok: boolean): void;
  /** Stops reading this group's lag and closes its admin connection. */
  close(): Promise<void>;
}

/** Registers a consumer group's metrics on a service's registry (several groups can share one registry). */
export function consumerMetrics(
  registry: Registry,
  options: { kafka: Kafka; groupId: string; topics: readonly string[] },
): ConsumerMetrics {
  const set = metricSet(registry);
  const group = options.groupId;
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connected = (): Promise<Admin> => {
    if (admin) return Promise.resolve(admin);
    connecting ??= (async () => {
      const a = options.kafka.admin();
      await a.connect();
      admin = a;
      return a;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };
  const source: LagSource = {
    groupId: group,
    read: async () => {
      const a = await connected();
      const [ends, committed] = await Promise.all([
        Promise.all(options.topics.map(async (topic) => ({ topic, offsets: await a.fetchTopicOffsets(topic) }))),
        a.fetchOffsets({ groupId: group, topics: [...options.topics] }),
      ]);
      const commits = new Map<string, number>();
      for (const t of committed) {
        for (const p of t.partitions) commits.set(`${t.topic}/${p.partition}`, Number(p.offset));
      }
      return ends.flatMap(({ topic, offsets }) =>
        offsets.map((p) => {
          const end = Number(p.high);
          const commit = commits.get(`${topic}/${p.partition}`) ?? -1;
          const from = commit >= 0 ? commit : Number(p.low);
          return { topic, partition: p.partition, lag: Math.max(0, end - from) };
        }),
      );
    },
  };
  set.sources.add(source);
  return {
    batch: (topic, records, seconds, ok) => {
      set.batchSeconds.observe({ group, topic }, seconds);
      if (ok) set.records.inc({ group, topic }, records);
      else set.failures.inc({ group, topic });
    },
    close: async () => {
      set.sources.delete(source);
      const a = admin ?? (connecting ? await connecting.catch(() => undefined) : undefined);
      admin = undefined;
      await a?.disconnect();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
