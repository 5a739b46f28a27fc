/**
 * FeatureVectors to vehicle.features.v1: key VIN, value telltale.features.v1.FeatureVector, header
 * `telltale-window-id` = `<vin>:<feature set>:<version>:<window start>`. A replay after a crash can repeat a window
 * with identical content; consumers dedupe on the header.
 */
import type { Message } from 'kafkajs';
import type { ReliableProducer } from '@telltale/platform/kafka';
import { FeatureVector } from '@telltale/platform/proto';
import type { FeatureVectorRecord, VectorSink } from '../pipeline/ports.js';

export const WINDOW_ID_HEADER = 'telltale-window-id';

export function windowId(v: Pick<FeatureVectorRecord, 'vin' | 'setId' | 'setVersion' | 'windowStartMs'>): string {
  return `${v.vin}:${v.setId}:${v.setVersion}:${v.windowStartMs}`;
}

export function featureVectorRecordOf(v: FeatureVectorRecord): Message {
  return {
    key: v.vin,
    value: Buffer.from(
      FeatureVector.encode({
        vin: v.vin,
        modelId: v.modelId,
        windowStartMsEpoch: v.windowStartMs,
        windowEndMsEpoch: v.windowEndMs,
        featureSetId: v.setId,
        featureSetVersion: v.setVersion,
        value: Array.from(v.values),
        sampleCount: v.sampleCount,
        scores: v.scores.map((s) => ({
          modelId: s.modelId,
          modelVersion: String(s.modelVersion),
          probability: s.probability,
          fault: s.fault,
        })),
      }).finish(),
    ),
    headers: { [WINDOW_ID_HEADER]: windowId(v) },
  };
}

export class KafkaFeatureVectors implements VectorSink {
  constructor(
    private readonly producer: Pick<ReliableProducer, 'send'>,
    private readonly topic: string,
  ) {}

  async publish(vectors: readonly FeatureVectorRecord[]): Promise<void> {
    await this.producer.send(this.topic, vectors.map(featureVectorRecordOf));
  }
}
