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
 * with more partitions than configured is left alone). Safe to call from every instance at start-up.
 */
export async function ensureTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
): Promise<{ created: string[]; grown: string[] }> {
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    const created: string[] = [];
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      }));
      // createTopics resolves false when another instance created them first; both outcomes are fine.
      await admin.createTopics({ topics, waitForLeaders: true });
      created.push(...missing.map((s) => s.topic));
    }
    const present = specs.filter((s) => existing.has(s.topic));
    const grown: string[] = [];
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
      const toGrow = present.filter((s) => {
        const meta = metadata.topics.find((t) => t.name === s.topic);
        return meta !== undefined && meta.partitions.length < s.numPartitions;
      });
      if (toGrow.length > 0) {
        await admin.createPartitions({
          topicPartitions: toGrow.map((s) => ({ topic: s.topic, count: s.numPartitions })),
        });
        grown.push(...toGrow.map((s) => s.topic));
        await waitForPartitions(admin, toGrow);
      }
    }
    return { created, grown };
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

/**
 * createPartitions returns once the controller accepted the change; brokers' metadata follows a moment later.
 * Waits (bounded) until metadata shows every new partition with a leader, so callers can use them at once.
 */
async function waitForPartitions(admin: Admin, specs: readonly TopicSpec[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    const ready = specs.every((s) => {
      const partitions = metadata.topics.find((t) => t.name === s.topic)?.partitions ?? [];
      return partitions.length >= s.numPartitions && partitions.every((p) => p.leader >= 0);
    });
    if (ready) return;
    if (Date.now() > deadline)
      throw new Error(`partitions of ${specs.map((s) => s.topic).join(', ')} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
