/** What a partition claim asks Kafka: a partition's end offset and a topic's partition count, now. */
import type { Admin } from 'kafkajs';
import type { TopicOffsets } from '../pipeline/partition-claims.js';
import type { PartitionRef } from '../pipeline/records.js';

export class KafkaTopicOffsets implements TopicOffsets {
  constructor(private readonly admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicMetadata'>) {}

  async highWatermark({ topic, partition }: PartitionRef): Promise<bigint> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return BigInt(offsets.find((o) => o.partition === partition)?.high ?? '0');
  }

  async partitionCount(topic: string): Promise<number> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  }
}
