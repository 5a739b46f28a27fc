/**
 * Where a keyed record lands: the partition kafkajs' default partitioner picks for a key (murmur2 of the key,
 * positive, modulo the partition count), so a consumer can tell which partition owns a VIN — e.g. after the
 * partition count grew and vehicles moved.
 */
import { Partitioners, type PartitionMetadata } from 'kafkajs';

const place = Partitioners.DefaultPartitioner();
const metadataFor = new Map<number, PartitionMetadata[]>();

export function partitionOfKey(topic: string, key: string, partitionCount: number): number {
  let partitionMetadata = metadataFor.get(partitionCount);
  if (partitionMetadata === undefined) {
    partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
    }));
    metadataFor.set(partitionCount, partitionMetadata);
  }
  return place({ topic, partitionMetadata, message: { key, value: null } });
}
