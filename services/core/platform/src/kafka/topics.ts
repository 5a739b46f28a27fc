/**
 * The platform's Kafka topics. Every topic is keyed by VIN so per-vehicle order holds end to end.
 * Names carry an optional prefix (KAFKA_TOPIC_PREFIX) that isolates environments and test runs.
 */
import type { Admin, ITopicConfig } from 'kafkajs';
import { TelltaleError } from '../errors.js';

export const TOPICS = {
  frames: 'tbox.frames.v1',
  framesDlq: 'tbox.frames.dlq.v1',
  signals: 'vehicle.signals.v1',
  signalsDlq: 'vehicle.signals.dlq.v1',
  alerts: 'vehicle.alerts.v1',
  features: 'vehicle.features.v1',
} as const;

export type TopicName = keyof typeof TOPICS;

/**
 * The topic's name under KAFKA_TOPIC_PREFIX ('-' or '' for none). A prefix that does not end in a separator
 * (`.`, `_` or `-`) gets a `.`: `ci` gives `ci.tbox.frames.v1`, not `citbox.frames.v1`.
 */
export function topicName(name: TopicName, prefix: string): string {
  if (prefix === '-' || prefix === '') return TOPICS[name];
  return /[._-]$/.test(prefix) ? `${prefix}${TOPICS[name]}` : `${prefix}.${TOPICS[name]}`;
}

export interface TopicSpec {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * Creates missing topics and grows partition counts that are below the spec (Kafka cannot shrink them; a topic
 * with more partitions than configured is left alone), then waits until every partition has a leader. Safe to call
 * from every instance at start-up: the metadata of a topic another instance (or this call) has just created reaches
 * the brokers a moment after the controller accepted it ("This server does not host this topic-partition", much
 * later on a loaded machine), so such transient errors are retried until `timeoutMs`; any other error fails at once.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  options: { readonly timeoutMs?: number } = {},
): Promise<{ created: string[]; grown: string[] }> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const created = new Set<string>();
  const grown = new Set<string>();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await createOrGrow(admin, specs, created, grown);
        await waitForPartitions(admin, specs, deadline);
        return { created: [...created], grown: [...grown] };
      } catch (cause) {
        if (!isTransientMetadataError(cause) || Date.now() >= deadline) throw cause;
        await sleep(Math.min(100 * 2 ** attempt, 1_000));
      }
    }
  } catch (cause) {
    throw new TelltaleError(
      'KAFKA_TOPIC_SETUP_FAILED',
      `Could not create or check Kafka topics: ${(cause as Error).message}`,
      {
        retryable: true,
        cause,
        details: { topics: specs.map((s) => s.topic) },
      },
    );
  }
}

async function createOrGrow(
  admin: Admin,
  specs: readonly TopicSpec[],
  created: Set<string>,
  grown: Set<string>,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.numPartitions,
      replicationFactor: s.replicationFactor,
      configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
    }));
    // createTopics resolves false when another instance created them first; both outcomes are fine. Leaders are
    // awaited below (kafkajs' own wait gives up on the first "unknown topic" of a broker that lags the controller).
    await admin.createTopics({ topics, waitForLeaders: false });
    for (const s of missing) created.add(s.topic);
  }
  const present = specs.filter((s) => existing.has(s.topic));
  if (present.length === 0) return;
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
  const toGrow = present.filter((s) => {
    const meta = metadata.topics.find((t) => t.name === s.topic);
    return meta !== undefined && meta.partitions.length < s.numPartitions;
  });
  if (toGrow.length > 0) {
    await admin.createPartitions({
      topicPartitions: toGrow.map((s) => ({ topic: s.topic, count: s.numPartitions })),
    });
    for (const s of toGrow) grown.add(s.topic);
  }
}

const TRANSIENT_METADATA_ERRORS = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_CONTROLLER',
  'REQUEST_TIMED_OUT',
]);

/**
 * An error of a topic's metadata not being everywhere yet (kafkajs protocol errors by type, also inside its
 * aggregate and retries-exceeded wrappers), or a partition count that is not visible yet (below).
 */
export function isTransientMetadataError(error: unknown): boolean {
  if (error instanceof PartitionsNotReady) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { type?: unknown; errors?: unknown; cause?: unknown; originalError?: unknown };
  if (typeof e.type === 'string' && TRANSIENT_METADATA_ERRORS.has(e.type)) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(isTransientMetadataError);
  if (e.cause !== undefined && e.cause !== error) return isTransientMetadataError(e.cause);
  if (e.originalError !== undefined) return isTransientMetadataError(e.originalError);
  return false;
}

class PartitionsNotReady extends Error {}

/**
 * createTopics and createPartitions return once the controller accepted the change; brokers' metadata follows a
 * moment later. Waits (until `deadline`) until metadata shows every partition of every spec with a leader, so callers
 * can use them at once.
 */
async function waitForPartitions(admin: Admin, specs: readonly TopicSpec[], deadline: number): Promise<void> {
  for (;;) {
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    const notReady = specs.filter((s) => {
      const partitions = metadata.topics.find((t) => t.name === s.topic)?.partitions ?? [];
      return partitions.length < s.numPartitions || !partitions.every((p) => p.leader >= 0);
    });
    if (notReady.length === 0) return;
    if (Date.now() > deadline)
      throw new PartitionsNotReady(
        `partitions of ${notReady.map((s) => s.topic).join(', ')} have no leader yet (waited until the deadline)`,
      );
    await sleep(100);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Specs for the platform topics with the configured partition count and replication factor. */
export function platformTopicSpecs(
  config: { kafkaTopicPrefix: string; kafkaPartitions: number; kafkaReplicationFactor: number },
  names: readonly TopicName[] = Object.keys(TOPICS) as TopicName[],
): TopicSpec[] {
  return names.map((name) => {
    // Dead-letter topics keep records longer: someone has to look at them. Uplink batches (up to the gateway's
    // MAX_BATCH_BYTES) and their decoded parts may exceed Kafka's 1 MB default record size.
    const configs: Record<string, string> = { 'max.message.bytes': String(8 * 1024 * 1024) };
    if (name.endsWith('Dlq')) configs['retention.ms'] = String(14 * 24 * 3600 * 1000);
    return {
      topic: topicName(name, config.kafkaTopicPrefix),
      numPartitions: config.kafkaPartitions,
      replicationFactor: config.kafkaReplicationFactor,
      configs,
    };
  });
}
