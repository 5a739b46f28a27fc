import { hostname } from 'node:os';
import { commonConfig, env, kafkaConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';

export const DiagnosticsConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  catalogDir: env.string('CATALOG_DIR', {
    description: 'directory of vehicle model catalogs the rules are checked and compiled against',
    default: BUNDLED_CATALOG_DIR,
  }),
  consumerGroup: env.string('DIAGNOSTICS_GROUP', {
    description: 'Kafka consumer group shared by all diagnostics instances',
    default: 'telltale-diagnostics',
  }),
  instanceId: env.string('DIAGNOSTICS_INSTANCE_ID', {
    description: "names this instance as a partition's owner in PostgreSQL (logs, inspection)",
    default: `${hostname()}-${process.pid}`,
  }),
  advanceIntervalMs: env.integer('ADVANCE_INTERVAL_MS', {
    description: 'how often timers of silent vehicles are checked ("no update for T", "for N s", clear delays)',
    default: '250',
    min: 10,
  }),
  silenceGraceMs: env.integer('SILENCE_GRACE_MS', {
    description:
      'a vehicle silent for longer than this has its clock moved by the wall clock (upload period + latency)',
    default: '2000',
    min: 0,
  }),
  idleHoldMs: env.integer('DIAGNOSTICS_IDLE_HOLD_MS', {
    description:
      "a partition that consumed nothing for less than this holds its vehicles' timers (it may be stalled upstream); " +
      'then it is idle and they fire on the wall clock. 0: no hold. Must exceed a Kafka broker failover',
    default: '30000',
    min: 0,
  }),
  maxFutureMs: env.integer('MAX_FUTURE_MS', {
    description: 'samples whose event time is further ahead of their arrival are dropped and counted',
    default: '300000',
    min: 0,
  }),
  checkpointIntervalMs: env.integer('CHECKPOINT_INTERVAL_MS', {
    description:
      'how often changed vehicle state and consumed offsets are persisted (a restart replays at most this much)',
    default: '1000',
    min: 50,
  }),
  ruleCheckIntervalMs: env.integer('RULE_CHECK_INTERVAL_MS', {
    description: 'how often the rule store version is compared, repairing a missed change notification',
    default: '5000',
    min: 100,
  }),
  relayIntervalMs: env.integer('RELAY_INTERVAL_MS', {
    description:
      'how often alert transitions recorded but not on Kafka are published ' +
      '(acknowledgements from the API; transitions a crash stranded)',
    default: '1000',
    min: 50,
  }),
  registryRefreshMs: env.integer('REGISTRY_REFRESH_MS', {
    description: 'how often the registry view (vehicle → fleet) checks for changes',
    default: '2000',
    min: 100,
  }),
} as const;
