import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  log: Logger;
  /** Overrides for tests and tools (e.g. shorter retry budgets). */
  overrides?: Partial<KafkaConfig>;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** A kafkajs client whose logs go through the service's pino logger (kafkajs' INFO chatter is demoted to debug). */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const log = options.log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 5000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = entry;
        // Expected with our short client retries: callers retry whole writes (transactions, the gateway's loop).
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        const target = LEVELS[level] ?? 'debug';
        log[target === 'info' ? 'debug' : target](fields, message);
      },
    ...options.overrides,
  });
}
