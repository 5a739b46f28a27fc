import { describe, expect, it } from 'vitest';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { rememberingKeyPartitioner } from './kafka-partitioner.js';

const metadata = (count: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
    offlineReplicas: [],
  }));

describe('rememberingKeyPartitioner', () => {
  it('places every key where kafkajs DefaultPartitioner does, for any partition count', () => {
    const remembering = rememberingKeyPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    for (const count of [1, 6, 7, 6, 64]) {
      for (let i = 0; i < 500; i++) {
        const args = {
          topic: 't',
          partitionMetadata: metadata(count),
          message: { key: `1HGCM82633A${String(i).padStart(6, '0')}`, value: 'x' },
        };
        expect(remembering(args)).toBe(reference(args));
        expect(remembering(args)).toBe(reference(args)); // remembered
      }
    }
  });

  it('honours an explicit partition', () => {
    const remembering = rememberingKeyPartitioner();
    expect(
      remembering({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: 'x', partition: 4 } }),
    ).toBe(4);
  });
});
