import { hostname } from 'node:os';
import { commonConfig, env, kafkaConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';

export const DecoderConfig = {
  ...commonConfig,
  ...kafkaConfig,
  ...postgresConfig,
  catalogDir: env.string('CATALOG_DIR', {
    description: 'directory of vehicle model catalogs (manifest.json + DBC per bus)',
    default: BUNDLED_CATALOG_DIR,
  }),
  consumerGroup: env.string('DECODER_GROUP', {
    description: 'Kafka consumer group shared by all decoder instances',
    default: 'telltale-decoder',
  }),
  instanceId: env.string('DECODER_INSTANCE_ID', {
    description: 'names this instance in its logs (transactions are fenced per input partition, not per instance)',
    default: hostname(),
  }),
  maxSignalsPerRecord: env.integer('DECODER_MAX_SIGNALS_PER_RECORD', {
    description: 'larger decoded batches are split into parts (Kafka record size; ~12 bytes per signal)',
    default: '65536',
    min: 1,
  }),
  registryRefreshMs: env.integer('REGISTRY_REFRESH_MS', {
    description: 'how often the registry view checks for changes',
    default: '2000',
    min: 100,
  }),
  catalogRescanMs: env.integer('CATALOG_RESCAN_MS', {
    description: 'least interval between rescans of CATALOG_DIR for new models/versions',
    default: '5000',
    min: 100,
  }),
} as const;
