/** Wiring only: config → logger → PostgreSQL (migrations), catalogs → HTTP server and ops endpoint → start. */
import { readFileSync } from 'node:fs';
import {
  startOpsServer,
  bootService,
  redisTlsOptions,
  runUntilSignalled,
  type RunningService,
} from '@telltale/platform';
import { openServiceDatabase } from '@telltale/platform/db';
import { CatalogLibrary } from '@telltale/catalog';
import { PgRegistry } from '@telltale/registry';
import { PgRuleStore } from '@telltale/rules/pg';
import { loadKeyring } from '@telltale/platform/secrets';
import { ApiConfig } from './config.js';
import { apiMetrics } from './metrics.js';
import { BacktestJobs } from './adapters/backtest-jobs.js';
import { readConsoleFiles } from './adapters/fs-console-files.js';
import { PgAlertReader } from './adapters/pg-alerts.js';
import { PgFleetOverviewReader } from './adapters/pg-fleet-overview.js';
import { PgApiKeyStore } from './adapters/pg-api-keys.js';
import { PgSubscriptionStore } from './adapters/pg-subscriptions.js';
import { RedisAlertStreamReader } from './adapters/redis-alert-stream-reader.js';
import { RedisFeatureReader } from './adapters/redis-feature-reader.js';
import { PgRuleReader } from './adapters/pg-rules.js';
import { PgSignalReader } from './adapters/pg-signals.js';
import { ArchiveHistoryReader } from './adapters/archive-history.js';
import { PgVehicleReader } from './adapters/pg-vehicles.js';
import { buildApiServer } from './http/server.js';
import type { Health } from './http/context.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

export interface RunningApi extends RunningService {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080. */
  readonly url: string;
}

export async function startApi(source: NodeJS.ProcessEnv = process.env): Promise<RunningApi> {
  const { config, log, lifecycle } = bootService('api', ApiConfig, source);
  const { registry: metrics, events } = apiMetrics(log);
  // Webhook secrets are sealed with this keyring; the notifier opens them with the same SECRETS_KEY.
  const { keyring, source: keySource } = loadKeyring(config);
  log.info({ keyId: keyring.current.id, keySource }, 'Webhook secrets are sealed at rest.');

  const pool = await openServiceDatabase(config, { service: 'api', max: config.databasePoolSize, lifecycle, log });
  const catalogs = new CatalogLibrary(config.catalogDir, log, config.catalogRescanMs);
  await catalogs.scan();
  // Rule validation checks against every model's newest catalog: compile them now, not in the first rule edit.
  void catalogs
    .latestPerModel()
    .catch((err: unknown) => log.warn({ err }, 'Catalogs failed to compile; rule edits will retry.'));

  const consoleFiles = await readConsoleFiles(config.consoleDir);
  if (consoleFiles.size === 0)
    log.warn({ consoleDir: config.consoleDir }, 'No built web console found; /console/ answers 503 until one is.');

  const signals = new PgSignalReader(pool);
  const archive = new ArchiveHistoryReader(pool, config.archiveDir);
  lifecycle.onShutdown('archive reader', () => archive.close());
  const health = async (): Promise<Health> => {
    const postgres = await signals.ping().catch(() => false);
    return { healthy: postgres, checks: { postgres, catalogs: catalogs.known.length > 0 } };
  };
  const features = new RedisFeatureReader(config.redisUrl, config.redisKeyPrefix, redisTlsOptions(config));
  lifecycle.onShutdown('feature reader', () => features.close());
  const backtests = new BacktestJobs({
    pool,
    archiveDir: config.archiveDir,
    maxRunning: config.backtestMaxRunning,
    keepMs: config.backtestKeepMs,
    maxTransitions: config.backtestMaxTransitions,
    duckdbThreads: 1,
    log,
    now: Date.now,
  });
  lifecycle.onShutdown('backtests', () => backtests.close());
  const app = await buildApiServer(
    {
      keys: new PgApiKeyStore(pool, config.apiKeyTouchIntervalMs, config.apiAuthCacheMs),
      vehicles: new PgVehicleReader(pool, config.apiAuthCacheMs),
      signals,
      archive,
      historyHotHours: config.historyHotHours,
      registry: new PgRegistry(pool),
      catalogs,
      rules: new PgRuleStore(pool),
      ruleReader: new PgRuleReader(pool),
      alerts: new PgAlertReader(pool),
      overview: new PgFleetOverviewReader(pool),
      subscriptions: new PgSubscriptionStore(pool, keyring),
      alertStreams: new RedisAlertStreamReader(
        config.redisUrl,
        config.redisKeyPrefix,
        config.alertStreamMaxClients,
        redisTlsOptions(config),
      ),
      features,
      backtests,
      events,
      health,
      now: Date.now,
    },
    {
      logger: log,
      version: VERSION,
      streamHeartbeatMs: config.alertStreamHeartbeatMs,
      streamMaxPerKey: config.alertStreamMaxPerKey,
      streamKeyRecheckMs: config.alertStreamKeyRecheckMs,
      rateLimit: { perSecond: config.apiRateLimitPerSecond, burst: config.apiRateLimitBurst },
      consoleFiles,
    },
  );
  lifecycle.onShutdown('http server', () => app.close());
  await app.listen({ port: config.apiPort, host: config.apiHost });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.apiPort;
  const url = `http://${config.apiHost.includes(':') ? `[${config.apiHost}]` : config.apiHost}:${port}`;

  const ops = await startOpsServer({
    registry: metrics,
    host: config.opsHost,
    port: config.opsPort,
    checks: [{ name: 'postgres', check: () => signals.ping() }],
  });
  lifecycle.onShutdown('ops server', () => ops.close());
  const consoleUrl = consoleFiles.size > 0 ? `${url}/console/` : undefined;
  log.info({ url, docs: `${url}/docs`, console: consoleUrl, ops: ops.url, catalogs: catalogs.known }, 'API started.');
  return { url, opsUrl: ops.url, lifecycle, stop: () => lifecycle.shutdown('stop') };
}

/** Entry point of `telltale api`: runs until SIGTERM/SIGINT. */
export function runApi(): Promise<void> {
  return runUntilSignalled(() => startApi());
}
