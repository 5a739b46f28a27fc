/**
 * The one configuration of `telltale start`: every service reads the same environment, plus its own fixed ops port.
 *
 * An instance name (`--instance ci`, TELLTALE_INSTANCE) isolates a second pipeline on the same PostgreSQL, Redis,
 * Kafka and MQTT broker by deriving each of the settings that would otherwise collide: schema, topic prefix, Redis
 * key prefix, MQTT shared-subscription group, client ids and uplink topic. A variable set explicitly always wins.
 * Pure: takes the environment, returns a new one.
 */
import { CliUsageError } from '../command.js';

/** The services `telltale start` runs, in start order; each has a fixed ops port (/metrics, /healthz). */
export const SERVICES = [
  'decoder',
  'store',
  'archive',
  'diagnostics',
  'features',
  'notifier',
  'api',
  'gateway',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Ops port of each service: TELLTALE_OPS_PORT_BASE (9100) + offset. Documented in docs/getting-started.md. */
export const OPS_PORT_OFFSET: Readonly<Record<ServiceName, number>> = {
  gateway: 1,
  decoder: 2,
  store: 3,
  diagnostics: 4,
  notifier: 5,
  api: 6,
  features: 7,
  archive: 8,
};

export const DEFAULT_API_PORT = 8080;
export const DEFAULT_OPS_PORT_BASE = 9100;
export const DEFAULT_MQTT_PORT = 1883;
/** Subscriber connections of the in-process gateway (the standalone default, 64, is sized for production load). */
export const DEFAULT_MQTT_CONNECTIONS = 4;

const INSTANCE = /^[a-z][a-z0-9_]{0,30}$/;

export interface StartSettings {
  /** undefined: the default pipeline (schema telltale, no topic prefix), the same one `telltale <service>` uses. */
  readonly instance: string | undefined;
  readonly apiPort: number;
  readonly opsPortBase: number;
  readonly databaseSchema: string;
  readonly kafkaTopicPrefix: string;
  /** MQTT topic prefix of the uplink ("" or "<instance>/"); the simulator publishes under it. */
  readonly mqttTopicPrefix: string;
  readonly redisKeyPrefix: string;
  /** Environment shared by every service (without OPS_PORT). */
  readonly env: Readonly<NodeJS.ProcessEnv>;
}

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new CliUsageError(`${name} must be a port number (1..65535), got "${raw}"`);
  return value;
}

/**
 * KAFKA_TOPIC_PREFIX is pasted in front of each topic name as it is; a prefix given without its separator ("ci")
 * gets one ("ci."), so topics read ci.tbox.frames.v1, not citbox.frames.v1.
 */
export function normaliseTopicPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined || prefix.trim() === '' || prefix === '-') return prefix;
  const trimmed = prefix.trim();
  return /[._-]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Builds the shared environment from the caller's and the command-line choices. */
export function startSettings(
  source: NodeJS.ProcessEnv,
  options: {
    instance?: string | undefined;
    apiPort?: string | undefined;
    mqttUrl: string;
    embeddedBroker: boolean;
    /** Where the platform keeps its local data (`.telltale`); the archive's Parquet files go under it. */
    dataDir?: string | undefined;
  },
): StartSettings {
  const instance = options.instance ?? (source.TELLTALE_INSTANCE?.trim() || undefined);
  if (instance !== undefined && !INSTANCE.test(instance))
    throw new CliUsageError(
      `instance name "${instance}" must be 1-31 lower-case letters, digits or _, starting with a letter`,
    );
  const given = (name: string): string | undefined => {
    const value = source[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const derived = (name: string, fromInstance: (i: string) => string, fallback: string): string =>
    given(name) ?? (instance === undefined ? fallback : fromInstance(instance));

  const databaseSchema = derived('DATABASE_SCHEMA', (i) => `telltale_${i}`, 'telltale');
  const kafkaTopicPrefix = normaliseTopicPrefix(given('KAFKA_TOPIC_PREFIX')) ?? (instance ? `${instance}.` : '-');
  const redisKeyPrefix = derived('REDIS_KEY_PREFIX', (i) => `telltale:${i}:`, 'telltale:');
  const mqttTopicPrefix = instance === undefined ? '' : `${instance}/`;
  const apiPort = port('--api-port', options.apiPort ?? given('API_PORT'), DEFAULT_API_PORT);
  const opsPortBase = port('TELLTALE_OPS_PORT_BASE', given('TELLTALE_OPS_PORT_BASE'), DEFAULT_OPS_PORT_BASE);

  const env: NodeJS.ProcessEnv = {
    ...source,
    // One process, one console: the start command prints progress and where to look; services say only what's wrong.
    LOG_LEVEL: given('LOG_LEVEL') ?? 'warn',
    DATABASE_SCHEMA: databaseSchema,
    KAFKA_TOPIC_PREFIX: kafkaTopicPrefix,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    API_PORT: String(apiPort),
    // Full-resolution history (telltale archive) beside the rest of the local data; the API reads it too, so history
    // older than PostgreSQL's hot window (STORE_HISTORY_HOT_HOURS) stays readable.
    ARCHIVE_DIR: derived(
      'ARCHIVE_DIR',
      (i) => `${options.dataDir ?? '.telltale'}/archive-${i}`,
      `${options.dataDir ?? '.telltale'}/archive`,
    ),
    MQTT_URL: options.mqttUrl,
    MQTT_UPLINK_TOPIC: derived('MQTT_UPLINK_TOPIC', (i) => `${i}/tbox/+/telemetry`, 'tbox/+/telemetry'),
    MQTT_CLIENT_ID_PREFIX: derived('MQTT_CLIENT_ID_PREFIX', (i) => `telltale-${i}-gateway`, 'telltale-start-gateway'),
    MQTT_CONNECTIONS: given('MQTT_CONNECTIONS') ?? String(DEFAULT_MQTT_CONNECTIONS),
    // Shutdown must finish well inside the 15 s a user (and CI) waits after Ctrl-C.
    SHUTDOWN_TIMEOUT_MS: given('SHUTDOWN_TIMEOUT_MS') ?? '10000',
    // A development platform: webhook secrets are sealed with a key generated once in .telltale/secrets.key
    // (mode 0600) unless SECRETS_KEY is set.
    NODE_ENV: given('NODE_ENV') ?? 'development',
    // The local broker (Mosquitto on 1883 or the embedded one) has no device logins: ingest is anonymous, which
    // the gateway announces with a warning. With MQTT_USERNAME set (an authenticating broker) it is not.
    GATEWAY_ALLOW_ANONYMOUS: given('GATEWAY_ALLOW_ANONYMOUS') ?? (given('MQTT_USERNAME') ? 'false' : 'true'),
  };
  if (options.embeddedBroker) {
    // The embedded broker has no shared subscriptions: one plain subscriber connection.
    env.MQTT_SHARE_GROUP = '-';
    env.MQTT_CONNECTIONS = '1';
  } else {
    env.MQTT_SHARE_GROUP = derived('MQTT_SHARE_GROUP', (i) => `gateway-${i}`, 'gateway');
  }
  return Object.freeze({
    instance,
    apiPort,
    opsPortBase,
    databaseSchema,
    kafkaTopicPrefix,
    mqttTopicPrefix,
    redisKeyPrefix,
    env: Object.freeze(env),
  });
}

/** The environment one service starts with: the shared one and its own ops port. */
export function serviceEnv(settings: StartSettings, service: ServiceName): NodeJS.ProcessEnv {
  return {
    ...settings.env,
    OPS_PORT: String(opsPort(settings, service)),
    OPS_HOST: settings.env.OPS_HOST || '127.0.0.1',
  };
}

export function opsPort(settings: StartSettings, service: ServiceName): number {
  return settings.opsPortBase + OPS_PORT_OFFSET[service];
}
