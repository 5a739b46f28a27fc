import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConfigFile, ConfigOf, kafkaConfig } from '../config.js';
import { TelltaleError } from '../errors.js';

/** The transport-security part of kafkaConfig: pass the service's whole config. */
export type KafkaSecurityConfig = Pick<
  ConfigOf<typeof kafkaConfig>,
  | 'kafkaSsl'
  | 'kafkaSslCaFile'
  | 'kafkaSslCertFile'
  | 'kafkaSslKeyFile'
  | 'kafkaSaslMechanism'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
>;

/**
 * kafkajs `ssl` and `sasl` options from the configuration. Cross-field problems (a CA without KAFKA_SSL, a
 * certificate without its key, SASL without credentials, a PLAIN password over plaintext) are CONFIG_INVALID at
 * boot, naming the variables, rather than a connection that silently skips the security asked for.
 */
export function kafkaSecurityOptions(config: KafkaSecurityConfig): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const problems: string[] = [];
  const files: [string, ConfigFile | undefined][] = [
    ['KAFKA_SSL_CA_FILE', config.kafkaSslCaFile],
    ['KAFKA_SSL_CERT_FILE', config.kafkaSslCertFile],
    ['KAFKA_SSL_KEY_FILE', config.kafkaSslKeyFile],
  ];
  if (!config.kafkaSsl) {
    for (const [name, file] of files) if (file !== undefined) problems.push(`${name} is set but KAFKA_SSL is false`);
  }
  if ((config.kafkaSslCertFile === undefined) !== (config.kafkaSslKeyFile === undefined)) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE must be set together');
  }
  const mechanism = config.kafkaSaslMechanism;
  const username = config.kafkaSaslUsername === '-' ? undefined : config.kafkaSaslUsername;
  const password = config.kafkaSaslPassword === '-' ? undefined : config.kafkaSaslPassword;
  if (mechanism !== 'none' && (username === undefined || password === undefined)) {
    problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  if (mechanism === 'none' && (username !== undefined || password !== undefined)) {
    problems.push('KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is none');
  }
  if (mechanism === 'plain' && !config.kafkaSsl) {
    problems.push('KAFKA_SASL_MECHANISM=plain would send the password in clear: set KAFKA_SSL=true');
  }
  if (problems.length > 0) {
    throw new TelltaleError('CONFIG_INVALID', `Invalid Kafka security configuration: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (config.kafkaSsl) {
    out.ssl = {
      rejectUnauthorized: true,
      ...(config.kafkaSslCaFile ? { ca: [config.kafkaSslCaFile.contents] } : {}),
      ...(config.kafkaSslCertFile ? { cert: config.kafkaSslCertFile.contents } : {}),
      ...(config.kafkaSslKeyFile ? { key: config.kafkaSslKeyFile.contents } : {}),
    };
  }
  if (mechanism !== 'none') out.sasl = { mechanism, username, password } as SASLOptions;
  return out;
}

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  log: Logger;
  /** TLS and SASL settings (the service's config, which spreads kafkaConfig); plaintext without them. */
  security?: KafkaSecurityConfig;
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
    ...(options.security ? kafkaSecurityOptions(options.security) : {}),
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
