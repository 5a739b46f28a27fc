import {
  CompressionTypes,
  Partitioners,
  type ICustomPartitioner,
  type Kafka,
  type Message,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';

export interface ReliableProducer {
  /** Resolves once every message is acknowledged by all in-sync replicas (acks=all); rejects otherwise. */
  send(topic: string, messages: Message[]): Promise<RecordMetadata[]>;
  /** Several topics in one request, e.g. output and dead-letter records of one input batch. */
  sendBatch(batch: { topic: string; messages: Message[] }[]): Promise<RecordMetadata[]>;
  readonly raw: Producer;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The only way services write to Kafka: idempotent (broker drops retried duplicates), acks=all, one request in
 * flight per connection so ordering per partition holds across retries. Callers batch records themselves;
 * kafkajs sends one request per call.
 */
export function createReliableProducer(
  kafka: Kafka,
  options: {
    transactionalId?: string;
    compression?: CompressionTypes;
    /** Must place keys as DefaultPartitioner does. */ createPartitioner?: ICustomPartitioner;
  } = {},
): ReliableProducer {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: options.createPartitioner ?? Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
  });
  const compression = options.compression ?? CompressionTypes.None;
  return {
    raw: producer,
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: (topic, messages) => producer.send({ topic, messages, acks: -1, compression }),
    sendBatch: (topicMessages) => producer.sendBatch({ topicMessages, acks: -1, compression }),
  };
}
