/**
 * The real pipeline for the console's browser tests and its screenshot run: gateway, decoder, store, diagnostics
 * and notifier as processes (as deployed), the API in this process serving the built console, and a simulated
 * fleet publishing over MQTT. Everything in its own schema, topics, Redis prefix and MQTT topic prefix.
 */
import type { ChildProcess } from 'node:child_process';
import { PgApiKeyStore, startApi, type RunningApi } from '@telltale/api';
import { BUNDLED_CATALOG_DIR } from '@telltale/catalog';
import { createPgPool, migrate, type Pool } from '@telltale/platform/db';
import { LOCAL, uniqueName, waitFor } from '@telltale/platform/testing';
import { simulatedFleetId } from '@telltale/simulator';
import { dropSchema, servicesTestEnv, spawnTelltale } from '../helpers.js';

export interface ConsolePipeline {
  readonly run: string;
  readonly api: RunningApi;
  readonly pool: Pool;
  readonly fleet: string;
  /** An admin key for every fleet, as `npm start` makes. */
  readonly adminToken: string;
  readonly vins: readonly string[];
  /** Starts one more CLI process with the pipeline's environment. */
  start(...args: string[]): ChildProcess;
  stop(): Promise<void>;
}

export async function startConsolePipeline(options: {
  vehicles: number;
  seed: number;
  durationS: number;
  faults?: readonly string[];
}): Promise<ConsolePipeline> {
  const run = uniqueName('console');
  const fleet = simulatedFleetId(options.seed);
  const children: ChildProcess[] = [];
  const env = servicesTestEnv(run);
  const start = (...args: string[]): ChildProcess => spawnTelltale(env, children, ...args);
  const pool = createPgPool({ url: LOCAL.postgresUrl, schema: run, max: 2 });
  await migrate(pool, { schema: run });
  const api = await startApi({
    ...env,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    CATALOG_DIR: BUNDLED_CATALOG_DIR,
    ALERT_STREAM_HEARTBEAT_MS: '1000',
    // A browser session makes bursts of requests (a rule check costs 5); production keeps the defaults.
    API_RATE_LIMIT_PER_SECOND: '200',
    API_RATE_LIMIT_BURST: '1000',
  });
  for (const service of ['gateway', 'decoder', 'store', 'diagnostics', 'notifier']) start(service);
  const faults = (options.faults ?? []).flatMap((f) => ['--fault', f]);
  start(
    'simulate',
    '--vehicles',
    String(options.vehicles),
    '--seed',
    String(options.seed),
    '--provision',
    '--anonymous',
    '--topic-prefix',
    `${run}/`,
    '--duration',
    String(options.durationS),
    ...faults,
  );
  const vins = await waitFor(
    'the simulated fleet in the registry',
    async () => {
      const { rows } = await pool
        .query<{ vin: string }>('SELECT vin FROM vehicles WHERE fleet_id = $1 ORDER BY vin', [fleet])
        .catch(() => ({ rows: [] as { vin: string }[] }));
      return rows.length >= options.vehicles ? rows.map((r) => r.vin) : undefined;
    },
    60_000,
    200,
  );
  const adminToken = (
    await new PgApiKeyStore(pool).create({ name: 'console test', role: 'admin', fleets: ['*'], createdBy: 'cli' })
  ).token;
  return {
    run,
    api,
    pool,
    fleet,
    adminToken,
    vins,
    start,
    stop: async () => {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null
            ? Promise.resolve(undefined)
            : new Promise((resolve) => {
                const timer = setTimeout(() => {
                  c.kill('SIGKILL');
                  resolve(undefined);
                }, 10_000);
                c.once('exit', () => {
                  clearTimeout(timer);
                  resolve(undefined);
                });
              }),
        ),
      );
      await api.stop();
      await dropSchema(pool, run);
    },
  };
}
