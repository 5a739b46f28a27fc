export {
  createKafkaClient,
  kafkaSecurityOptions,
  type KafkaClientOptions,
  type KafkaSecurityConfig,
} from './client.js';
export { createReliableProducer, type ReliableProducer } from './producer.js';
export { PartitionProducers, type ClaimedPartition, type PartitionProducersOptions } from './partition-producers.js';
export {
  startCommittingConsumer,
  type CommittingConsumer,
  type CommittingConsumerOptions,
  type PartitionBatch,
  type BatchContext,
} from './consumer.js';
export { partitionOfKey } from './partition.js';
export { TOPICS, topicName, ensureTopics, platformTopicSpecs, type TopicName, type TopicSpec } from './topics.js';
export { RECORD_HEADER } from './headers.js';
