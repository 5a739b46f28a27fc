/**
 * Configuration from the environment: declared once per service as a spec of typed variables, validated once at
 * boot, returned frozen. Every problem is reported at once, each naming its variable.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TelltaleError } from './errors.js';

export interface EnvVar<T> {
  readonly env: string;
  readonly description: string;
  /** Raw default used when the variable is absent or empty; omit to make the variable required. */
  readonly default?: string;
  readonly parse: (raw: string) => { ok: true; value: T } | { ok: false; reason: string };
}

export type ConfigSpec = Readonly<Record<string, EnvVar<unknown>>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

function fromZod<T>(schema: z.ZodType<T>, reason: string): EnvVar<T>['parse'] {
  return (raw) => {
    const result = schema.safeParse(raw);
    return result.success ? { ok: true, value: result.data } : { ok: false, reason };
  };
}

type VarOptions = { description: string; default?: string };
const define = <T>(env: string, options: VarOptions, parse: EnvVar<T>['parse']): EnvVar<T> =>
  Object.freeze({
    env,
    description: options.description,
    ...(options.default === undefined ? {} : { default: options.default }),
    parse,
  });

/** A file named by a setting (a CA bundle, a client certificate), read once when the configuration loads. */
export interface ConfigFile {
  readonly path: string;
  readonly contents: Buffer;
}

const HOST_PORT = /^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export const env = {
  string: (name: string, options: VarOptions): EnvVar<string> =>
    define(name, options, fromZod(z.string().min(1), 'must not be empty')),

  integer: (name: string, options: VarOptions & { min?: number; max?: number }): EnvVar<number> => {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    return define(
      name,
      options,
      fromZod(
        z
          .string()
          .regex(/^-?\d+$/)
          .transform(Number)
          .pipe(z.number().int().min(min).max(max)),
        `must be an integer between ${min} and ${max}`,
      ),
    );
  },

  boolean: (name: string, options: VarOptions): EnvVar<boolean> =>
    define(name, options, (raw) => {
      const value = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(value)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(value)) return { ok: true, value: false };
      return { ok: false, reason: 'must be true or false' };
    }),

  oneOf: <const T extends string>(name: string, values: readonly T[], options: VarOptions): EnvVar<T> =>
    define(name, options, (raw) =>
      (values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as T }
        : { ok: false, reason: `must be one of ${values.join(', ')}` },
    ),

  /** Comma-separated host:port list, e.g. KAFKA_BROKERS=10.0.0.1:9092,10.0.0.2:9092. */
  hostPortList: (name: string, options: VarOptions): EnvVar<readonly string[]> =>
    define(name, options, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (items.length === 0) return { ok: false, reason: 'must list at least one host:port' };
      const bad = items.findIndex((item) => !HOST_PORT.test(item));
      if (bad >= 0) return { ok: false, reason: `item ${bad} ("${items[bad]}") must be host:port` };
      return { ok: true, value: Object.freeze(items) };
    }),

  /** A file read at boot ("-", the default, for none): a missing or unreadable file is a configuration error. */
  file: (name: string, options: { description: string }): EnvVar<ConfigFile | undefined> =>
    define(name, { ...options, default: '-' }, (raw) => {
      if (raw === '-') return { ok: true, value: undefined };
      try {
        return { ok: true, value: Object.freeze({ path: raw, contents: readFileSync(raw) }) };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return { ok: false, reason: `must name a readable file (${code})` };
      }
    }),

  url: (name: string, options: VarOptions & { protocols?: readonly string[] }): EnvVar<string> =>
    define(name, options, (raw) => {
      try {
        const url = new URL(raw);
        const protocols = options.protocols;
        if (protocols && !protocols.includes(url.protocol.replace(/:$/, ''))) {
          return { ok: false, reason: `must use one of the protocols ${protocols.join(', ')}` };
        }
        return { ok: true, value: raw };
      } catch {
        return { ok: false, reason: 'must be a URL' };
      }
    }),
};

/** Validates `source` (normally process.env) against the spec; throws CONFIG_INVALID naming every bad variable. */
export function loadConfig<S extends ConfigSpec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(spec)) {
    const given = source[variable.env];
    const raw = given === undefined || given.trim() === '' ? variable.default : given.trim();
    if (raw === undefined) {
      problems.push(`${variable.env} is required (${variable.description})`);
      continue;
    }
    const parsed = variable.parse(raw);
    if (parsed.ok) out[key] = parsed.value;
    else problems.push(`${variable.env} ${parsed.reason} (got "${raw}")`);
  }
  if (problems.length > 0) {
    throw new TelltaleError('CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  return Object.freeze(out) as ConfigOf<S>;
}

/** One line per variable, for `--help` output and service READMEs. */
export function describeConfig(spec: ConfigSpec): string[] {
  return Object.values(spec).map(
    (v) => `${v.env}${v.default === undefined ? ' (required)' : `=${v.default}`}  ${v.description}`,
  );
}

/** Settings every service shares. */
export const commonConfig = {
  logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    description: 'pino log level',
    default: 'info',
  }),
  opsPort: env.integer('OPS_PORT', {
    description: 'port of the /metrics and /healthz endpoint (0 picks a free port)',
    default: '0',
    min: 0,
    max: 65535,
  }),
  opsHost: env.string('OPS_HOST', { description: 'address the ops endpoint binds to', default: '127.0.0.1' }),
  shutdownTimeoutMs: env.integer('SHUTDOWN_TIMEOUT_MS', {
    description: 'how long SIGTERM waits for in-flight work to drain before exiting',
    default: '30000',
    min: 0,
  }),
} as const;

export const kafkaConfig = {
  kafkaBrokers: env.hostPortList('KAFKA_BROKERS', {
    description: 'Kafka bootstrap servers, comma-separated host:port',
    default: '127.0.0.1:9092',
  }),
  kafkaClientId: env.string('KAFKA_CLIENT_ID', { description: 'Kafka client id prefix', default: 'telltale' }),
  kafkaTopicPrefix: env.string('KAFKA_TOPIC_PREFIX', {
    description: 'prefix added to every topic name (isolates environments and test runs); "-" means none',
    default: '-',
  }),
  kafkaPartitions: env.integer('KAFKA_PARTITIONS', {
    description: 'partition count for topics the service creates',
    default: '6',
    min: 1,
    max: 10000,
  }),
  kafkaSessionTimeoutMs: env.integer('KAFKA_SESSION_TIMEOUT_MS', {
    description: "consumer group session timeout: how soon a crashed member's partitions move to the others",
    default: '30000',
    min: 6000,
    max: 300000,
  }),
  kafkaReplicationFactor: env.integer('KAFKA_REPLICATION_FACTOR', {
    description: 'replication factor for topics the service creates',
    default: '1',
    min: 1,
    max: 16,
  }),
  kafkaSsl: env.boolean('KAFKA_SSL', {
    description: 'connect to the brokers over TLS (server verified against KAFKA_SSL_CA_FILE, else the system CAs)',
    default: 'false',
  }),
  kafkaSslCaFile: env.file('KAFKA_SSL_CA_FILE', { description: 'PEM CA bundle the brokers are verified against' }),
  kafkaSslCertFile: env.file('KAFKA_SSL_CERT_FILE', {
    description: 'PEM client certificate, for brokers that require mutual TLS (with KAFKA_SSL_KEY_FILE)',
  }),
  kafkaSslKeyFile: env.file('KAFKA_SSL_KEY_FILE', { description: 'PEM private key of KAFKA_SSL_CERT_FILE' }),
  kafkaSaslMechanism: env.oneOf('KAFKA_SASL_MECHANISM', ['none', 'plain', 'scram-sha-256', 'scram-sha-512'], {
    description: 'SASL authentication at the brokers (plain needs KAFKA_SSL=true)',
    default: 'none',
  }),
  kafkaSaslUsername: env.string('KAFKA_SASL_USERNAME', { description: 'SASL user ("-" for none)', default: '-' }),
  kafkaSaslPassword: env.string('KAFKA_SASL_PASSWORD', { description: 'its password ("-" for none)', default: '-' }),
} as const;

/**
 * TLS to Redis: REDIS_URL=rediss://… turns it on (ioredis verifies the server against the system CAs); this file
 * adds a private CA. Services with a REDIS_URL spread it into their config and pass redisTlsOptions(config).
 */
export const redisTlsConfig = {
  redisTlsCaFile: env.file('REDIS_TLS_CA_FILE', {
    description: 'PEM CA bundle the Redis server is verified against (needs a rediss:// REDIS_URL)',
  }),
} as const;

/** ioredis options for TLS from REDIS_URL and REDIS_TLS_CA_FILE; CONFIG_INVALID when they disagree. */
export function redisTlsOptions(config: {
  readonly redisUrl: string;
  readonly redisTlsCaFile: ConfigFile | undefined;
}): { tls?: { ca: Buffer; rejectUnauthorized: true } } {
  const tls = new URL(config.redisUrl).protocol === 'rediss:';
  if (config.redisTlsCaFile === undefined) return {};
  if (!tls) {
    throw new TelltaleError(
      'CONFIG_INVALID',
      `REDIS_TLS_CA_FILE is set (${config.redisTlsCaFile.path}) but REDIS_URL does not use rediss://: ` +
        'the connection would not use TLS.',
      { details: { problems: ['REDIS_TLS_CA_FILE needs a rediss:// REDIS_URL'] } },
    );
  }
  return { tls: { ca: config.redisTlsCaFile.contents, rejectUnauthorized: true } };
}
