import { fileURLToPath } from 'node:url';
import { commonConfig, env, redisTlsConfig } from '@telltale/platform';
import { postgresConfig } from '@telltale/platform/db';
import { secretsConfig } from '@telltale/platform/secrets';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';

export const ApiConfig = {
  ...secretsConfig,
  ...commonConfig,
  ...postgresConfig,
  apiPort: env.integer('API_PORT', {
    description: 'port of the HTTP API (0 picks a free port)',
    default: '8080',
    min: 0,
    max: 65535,
  }),
  apiHost: env.string('API_HOST', { description: 'address the HTTP API binds to', default: '127.0.0.1' }),
  catalogDir: env.string('CATALOG_DIR', {
    description: 'directory of vehicle model catalogs (names, units, staleness of signals)',
    default: BUNDLED_CATALOG_DIR,
  }),
  catalogRescanMs: env.integer('CATALOG_RESCAN_MS', {
    description: 'least interval between rescans of CATALOG_DIR for new models/versions',
    default: '5000',
    min: 100,
  }),
  consoleDir: env.string('CONSOLE_DIR', {
    description: 'the built web console served at /console/ (services/console/dist; telltale api builds it)',
    default: fileURLToPath(new URL('../../console/dist', import.meta.url)),
  }),
  ...redisTlsConfig,
  redisUrl: env.url('REDIS_URL', {
    description: 'Redis holding the live alert streams (written by telltale notifier)',
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis', 'rediss'],
  }),
  redisKeyPrefix: env.string('REDIS_KEY_PREFIX', {
    description: "prefix of every Redis key (same as the notifier's)",
    default: 'telltale:',
  }),
  alertStreamHeartbeatMs: env.integer('ALERT_STREAM_HEARTBEAT_MS', {
    description: 'idle time after which a live alert stream sends a heartbeat',
    default: '15000',
    min: 100,
  }),
  alertStreamMaxClients: env.integer('ALERT_STREAM_MAX_CLIENTS', {
    description: 'live alert streams (SSE + WebSocket) one instance serves at once; each holds a Redis connection',
    default: '500',
    min: 1,
  }),
  alertStreamMaxPerKey: env.integer('ALERT_STREAM_MAX_PER_KEY', {
    description: 'live alert streams one API key may hold open at once on one instance (429 beyond)',
    default: '5',
    min: 1,
  }),
  alertStreamKeyRecheckMs: env.integer('ALERT_STREAM_KEY_RECHECK_MS', {
    description: "how often open live streams re-check their API key; a revoked key's streams end within it",
    default: '3000',
    min: 100,
  }),
  apiRateLimitPerSecond: env.integer('API_RATE_LIMIT_PER_SECOND', {
    description: 'requests per second one API key may make on one instance, sustained (a rule check counts 5)',
    default: '20',
    min: 1,
  }),
  apiRateLimitBurst: env.integer('API_RATE_LIMIT_BURST', {
    description: 'requests one idle API key may make at once on one instance before API_RATE_LIMIT_PER_SECOND applies',
    default: '100',
    min: 10,
  }),
  archiveDir: env.string('ARCHIVE_DIR', {
    description:
      "the archive's root directory (telltale archive): history older than the hot window, and rule backtests, read it",
    default: './var/archive',
  }),
  historyHotHours: env.integer('STORE_HISTORY_HOT_HOURS', {
    description:
      "hours of history the store keeps in PostgreSQL (the store's setting): older history is read from the archive",
    default: '24',
    min: 0,
    max: 24 * 3660,
  }),
  backtestMaxRunning: env.integer('BACKTEST_MAX_RUNNING', {
    description: 'rule backtests one API instance runs at once (each one DuckDB thread); more get 429',
    default: '1',
    min: 1,
    max: 64,
  }),
  backtestKeepMs: env.integer('BACKTEST_KEEP_MS', {
    description: 'how long a finished backtest (and its result) stays readable',
    default: '3600000',
    min: 1000,
  }),
  backtestMaxTransitions: env.integer('BACKTEST_MAX_TRANSITIONS', {
    description: "transitions a backtest's result keeps (the counts stay exact)",
    default: '10000',
    min: 1,
  }),
  apiKeyTouchIntervalMs: env.integer('API_KEY_TOUCH_INTERVAL_MS', {
    description: "how often a key's last_used_at is written at most (per key and instance)",
    default: '60000',
    min: 0,
  }),
  apiAuthCacheMs: env.integer('API_AUTH_CACHE_MS', {
    description:
      "how long an instance reuses an API key and a vehicle's fleet it read from PostgreSQL " +
      '(0: read on every request); a key revoked or a vehicle moved elsewhere stops being served within it, ' +
      'through this instance at once',
    default: '1000',
    min: 0,
    max: 60000,
  }),
} as const;
