export { TelltaleError, isTelltaleError, toTelltaleError, type TelltaleErrorOptions } from './errors.js';
export {
  loadConfig,
  describeConfig,
  env,
  commonConfig,
  kafkaConfig,
  redisTlsConfig,
  redisTlsOptions,
  type ConfigFile,
  type EnvVar,
  type ConfigSpec,
  type ConfigOf,
} from './config.js';
export { createLogger, type Logger, type LoggerOptions } from './logging.js';
export { createMetricsRegistry, counter, gauge, histogram, Counter, Gauge, Histogram, Registry } from './metrics.js';
export { startOpsServer, type OpsServer, type HealthCheck } from './ops/ops-server.js';
export { Lifecycle } from './lifecycle.js';
export { bootService, runUntilSignalled, type RunningService, type ServiceBoot } from './service.js';
export { ROLLUP_GRAIN_MS, SECOND_AGGREGATES, BUCKET_AGGREGATES } from './archive-rollups.js';
