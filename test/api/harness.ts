/** A real API server on a free port over its own PostgreSQL schema, with vehicles A (fleet-a) and B (fleet-b). */
import { join } from 'node:path';
import { startApi, PgApiKeyStore, type RunningApi, type Role } from '@telltale/api';
import { PgSignalStore, emptyLatestRows } from '@telltale/store';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog, type CatalogSignal } from '@telltale/catalog';
import type { Pool } from '@telltale/platform/db';
import type { PgRegistry } from '@telltale/registry';
import { LOCAL, uniqueName } from '@telltale/platform/testing';
import { dropSchema, registryWithTwoVehicles } from '../helpers.js';

export { VIN_A, VIN_B } from '../helpers.js';

export interface ErrorJson {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly retryable: boolean;
    readonly requestId: string;
    readonly details?: Record<string, unknown>;
  };
}

export interface Reply<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface ApiHarness {
  readonly schema: string;
  readonly pool: Pool;
  readonly registry: PgRegistry;
  readonly api: RunningApi;
  /** A fresh key straight from the store (as `telltale keys create` makes them). */
  key(role: Role, fleets: readonly string[], name?: string): Promise<{ token: string; keyId: string }>;
  call<T = ErrorJson>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  close(): Promise<void>;
}

/** `env` overrides the API's configuration (limits, intervals) for one test file. */
export async function startApiHarness(env: Readonly<Record<string, string>> = {}): Promise<ApiHarness> {
  const schema = uniqueName('api');
  const { pool, registry } = await registryWithTwoVehicles(schema);
  const api = await startApi({
    ...process.env,
    DATABASE_URL: LOCAL.postgresUrl,
    DATABASE_SCHEMA: schema,
    API_PORT: '0',
    API_HOST: '127.0.0.1',
    OPS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CATALOG_DIR: BUNDLED_CATALOG_DIR,
    // History tests seed PostgreSQL at fixed past dates: a hot window of ten years keeps them PostgreSQL-only (the
    // archive's side has its own test, test/api/history-archive.test.ts).
    STORE_HISTORY_HOT_HOURS: String(24 * 3650),
    ...env,
  });
  const keys = new PgApiKeyStore(pool);
  return {
    schema,
    pool,
    registry,
    api,
    key: async (role, fleets, name = `${role}-key`) => {
      const { key, token } = await keys.create({ name, role, fleets, createdBy: 'cli' });
      return { token, keyId: key.keyId };
    },
    call: async <T>(
      method: string,
      path: string,
      options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<Reply<T>> => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: (text === '' ? undefined : JSON.parse(text)) as T,
        headers: response.headers,
      };
    },
    close: async () => {
      await api.stop();
      await dropSchema(pool, schema);
    },
  };
}

let aurora: Promise<Catalog> | undefined;

/** The aurora-ev-2026 catalog (ids to seed the store with), loaded once per test file. */
export function auroraCatalog(): Promise<Catalog> {
  aurora ??= loadCatalog(join(BUNDLED_CATALOG_DIR, 'aurora-ev-2026'));
  return aurora;
}

export async function auroraSignal(qualifiedName: string): Promise<CatalogSignal> {
  const signal = (await auroraCatalog()).byQualifiedName.get(qualifiedName);
  if (!signal) throw new Error(`aurora-ev-2026 has no ${qualifiedName}`);
  return signal;
}

export interface SeedValue {
  readonly signalId: number;
  readonly value: number;
  readonly eventTimeMs: number;
  readonly receiveTimeMs?: number;
  /** µs within the ms (history only). */
  readonly eventTimeSubMsUs?: number;
}

/** Writes latest values through the real-time store's own writer (newest event time wins), bypassing Kafka. */
export async function seedLatest(
  pool: Pool,
  vin: string,
  values: readonly SeedValue[],
  catalogVersion = '1.0.0',
): Promise<void> {
  const sorted = [...values].sort((a, b) => a.signalId - b.signalId);
  await new PgSignalStore(pool).write(
    {
      vin: sorted.map(() => vin),
      signalId: sorted.map((v) => v.signalId),
      value: sorted.map((v) => v.value),
      eventTimeMs: sorted.map((v) => v.eventTimeMs),
      eventTimeSubMsUs: sorted.map(() => 0),
      receiveTimeMs: sorted.map((v) => v.receiveTimeMs ?? v.eventTimeMs + 150),
      modelId: sorted.map(() => 'aurora-ev-2026'),
      catalogVersion: sorted.map(() => catalogVersion),
    },
    { vin: [], signalId: [], eventTimeMs: [], eventTimeSubMsUs: [], value: [], receiveTimeMs: [], catalogVersion: [] },
    Date.now(),
  );
}

export async function seedHistory(pool: Pool, vin: string, values: readonly SeedValue[]): Promise<void> {
  // Through the store's own write path: history blocks (migration 0018) at every sample's exact µs, day partitions
  // created as the store creates them.
  await new PgSignalStore(pool).write(
    emptyLatestRows(),
    {
      resolutionMs: 0,
      vin: values.map(() => vin),
      signalId: values.map((v) => v.signalId),
      eventTimeMs: values.map((v) => v.eventTimeMs),
      eventTimeSubMsUs: values.map((v) => v.eventTimeSubMsUs ?? 0),
      value: values.map((v) => v.value),
      receiveTimeMs: values.map((v) => v.receiveTimeMs ?? v.eventTimeMs + 150),
      catalogVersion: values.map(() => '1.0.0'),
    },
    Date.now(),
  );
}
