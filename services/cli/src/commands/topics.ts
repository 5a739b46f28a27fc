import { createKafkaClient, ensureTopics, platformTopicSpecs } from '@telltale/platform/kafka';
import { createLogger, kafkaConfig, loadConfig } from '@telltale/platform';
import { CliUsageError, type Command } from '../command.js';

export const topicsCommands: readonly Command[] = [
  {
    path: ['topics', 'ensure'],
    summary: 'Create the platform Kafka topics (or grow their partitions) from the configuration',
    usage: `Usage: telltale topics ensure

Creates tbox.frames.v1, vehicle.signals.v1, vehicle.alerts.v1, ... (with KAFKA_TOPIC_PREFIX) with
KAFKA_PARTITIONS partitions and KAFKA_REPLICATION_FACTOR replicas; grows partition counts below that.
Environment: KAFKA_BROKERS (127.0.0.1:9092), KAFKA_TOPIC_PREFIX, KAFKA_PARTITIONS (6), KAFKA_REPLICATION_FACTOR (1).`,
    run: async (args, io) => {
      if (args.length > 0) throw new CliUsageError(`unexpected argument "${args[0]}"`);
      const config = loadConfig(kafkaConfig, io.env);
      const log = createLogger({ service: 'telltale-cli', level: 'warn', destination: 2 });
      const kafka = createKafkaClient({
        brokers: config.kafkaBrokers,
        clientId: `${config.kafkaClientId}-cli`,
        log,
        security: config,
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const specs = platformTopicSpecs(config);
        const { created, grown } = await ensureTopics(admin, specs);
        for (const spec of specs) {
          const verdict = created.includes(spec.topic) ? 'created' : grown.includes(spec.topic) ? 'grown' : 'present';
          io.stdout.write(`${spec.topic}  ${spec.numPartitions} partitions  ${verdict}\n`);
        }
        return 0;
      } finally {
        await admin.disconnect();
      }
    },
  },
];
