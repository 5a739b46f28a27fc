import { commonConfig, env } from '@telltale/core';
import { postgresConfig } from '@telltale/core/db';
import { BUNDLED_CATALOG_DIR } from '@telltale/core/catalog';

export const ApiConfig = {
  ...commonConfig,
  ...postgresConfig,
  apiPort: env.integer('API_PORT', { description: 'port of the HTTP API (0 picks a free port)', default: '8080', min: 0, max: 65535 }),
  apiHost: env.string('API_HOST', { description: 'address the HTTP API binds to', default: '127.0.0.1' }),
  catalogDir: env.string('CATALOG_DIR', { description: 'directory of vehicle model catalogs (names, units, staleness of signals)', default: BUNDLED_CATALOG_DIR }),
  catalogRescanMs: env.integer('CATALOG_RESCAN_MS', { description: 'least interval between rescans of CATALOG_DIR for new models/versions', default: '5000', min: 100 }),
  apiKeyTouchIntervalMs: env.integer('API_KEY_TOUCH_INTERVAL_MS', { description: 'how often a key\'s last_used_at is written at most (per key and instance)', default: '60000', min: 0 }),
} as const;
