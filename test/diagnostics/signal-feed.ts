/** Test input for diagnostics: SignalBatch records of aurora-ev-2026 signals by alias, produced to a signals topic. */
import type { Kafka, Message } from 'kafkajs';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { ensureTopics } from '@telltale/platform/kafka';
import { Alert, encodeSignalBatch } from '@telltale/platform/proto';
import type { KafkaMessage } from 'kafkajs';
import { join } from 'node:path';

export const MODEL = { modelId: 'aurora-ev-2026', catalogVersion: '1.0.0' } as const;

export async function auroraCatalog(): Promise<Catalog> {
  return loadCatalog(join(BUNDLED_CATALOG_DIR, MODEL.modelId));
}

export interface Sample {
  readonly alias: string;
  readonly value: number;
  /** Offset from the batch's base time, ms. */
  readonly offsetMs?: number;
}

export interface FeedBatch {
  readonly vin: string;
  readonly seq: number;
  readonly baseTimeMs: number;
  readonly samples: readonly Sample[];
  readonly arrivalTimeMs: number;
  readonly backfill?: boolean;
}

/** One SignalBatch record, keyed by VIN like the decoder's output. */
export function signalRecord(catalog: Catalog, batch: FeedBatch): Message {
  const ids = batch.samples.map((s) => {
    const signal = catalog.aliases.get(s.alias);
    if (!signal) throw new Error(`no alias ${s.alias} in ${catalog.modelId}`);
    return signal.id;
  });
  const value = encodeSignalBatch(
    {
      vin: batch.vin,
      modelId: MODEL.modelId,
      catalogVersion: MODEL.catalogVersion,
      baseTimeMsEpoch: batch.baseTimeMs,
      backfill: batch.backfill ?? false,
      batchId: `${batch.vin}:${batch.seq}`,
      partCount: 1,
      source: {
        deviceSeq: batch.seq,
        gatewayReceiveTimeMsEpoch: batch.arrivalTimeMs,
        decodeTimeMsEpoch: batch.arrivalTimeMs,
      },
    },
    {
      signalId: Uint32Array.from(ids),
      value: Float64Array.from(batch.samples.map((s) => s.value)),
      timeOffsetMs: Uint32Array.from(batch.samples.map((s) => s.offsetMs ?? 0)),
    },
  );
  return { key: batch.vin, value: Buffer.from(value) };
}

export function decodeAlerts(messages: readonly KafkaMessage[]): Alert[] {
  return messages.map((m) => Alert.decode(new Uint8Array(m.value!)));
}

/** The signals and alerts topics of an in-process diagnostics service under `prefix`, two partitions each. */
export async function createDiagnosticsTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [
      { topic: `${prefix}vehicle.signals.v1`, numPartitions: 2, replicationFactor: 1 },
      { topic: `${prefix}vehicle.alerts.v1`, numPartitions: 2, replicationFactor: 1 },
    ]);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The environment of an in-process diagnostics service of a test: its schema and topic prefix, two partitions, a
 * 500 ms silence grace and fast timer and checkpoint intervals; `overrides` on top.
 */
export function diagnosticsTestEnv(
  run: string,
  prefix: string,
  overrides: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_SCHEMA: run,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_PARTITIONS: '2',
    LOG_LEVEL: 'warn',
    SILENCE_GRACE_MS: '500',
    ADVANCE_INTERVAL_MS: '100',
    CHECKPOINT_INTERVAL_MS: '200',
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...overrides,
  };
}
