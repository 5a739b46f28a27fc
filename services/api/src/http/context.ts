/** What route handlers share: the adapters, the caller, and the lookups every vehicle route starts with. */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Catalog, CatalogLibrary } from '@telltale/catalog';
import type { PgRegistry } from '@telltale/registry';
import type { PgRuleStore } from '@telltale/rules/pg';
import type { BacktestJobs } from '../adapters/backtest-jobs.js';
import type { PgAlertReader } from '../adapters/pg-alerts.js';
import type { PgFleetOverviewReader } from '../adapters/pg-fleet-overview.js';
import type { PgApiKeyStore } from '../adapters/pg-api-keys.js';
import type { PgSubscriptionStore } from '../adapters/pg-subscriptions.js';
import type { RedisAlertStreamReader } from '../adapters/redis-alert-stream-reader.js';
import type { FeatureReader } from '../adapters/redis-feature-reader.js';
import type { PgSignalReader } from '../adapters/pg-signals.js';
import type { ArchiveHistoryReader } from '../adapters/archive-history.js';
import type { PgRuleReader } from '../adapters/pg-rules.js';
import type { PgVehicleReader, VehicleView } from '../adapters/pg-vehicles.js';
import { canSeeFleet, fleetScope, type Principal, type Role } from '../domain/access.js';
import type { ApiEvents } from '../metrics.js';
import { ApiError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a key needs for the route; every /v1 route declares one. */
    role?: Role;
    /** Tokens a request takes from its key's rate-limit bucket (default 1). */
    rateCost?: number;
  }
  interface FastifyRequest {
    /** The authenticated caller; null before authentication and on public routes. */
    principal: Principal | null;
  }
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface Health {
  readonly healthy: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

export interface ApiDeps {
  readonly keys: PgApiKeyStore;
  readonly vehicles: PgVehicleReader;
  readonly signals: PgSignalReader;
  /** History older than the hot window, from the archive's Parquet files. */
  readonly archive: Pick<ArchiveHistoryReader, 'samples' | 'buckets'>;
  /** Hours of history PostgreSQL holds (STORE_HISTORY_HOT_HOURS); older history comes from the archive. */
  readonly historyHotHours: number;
  readonly registry: PgRegistry;
  readonly catalogs: CatalogLibrary;
  /** Rule writes and single-rule reads (versions, audit trail). */
  readonly rules: PgRuleStore;
  /** The rule list with current definitions. */
  readonly ruleReader: PgRuleReader;
  readonly alerts: PgAlertReader;
  /** The fleet overview's aggregates (signal staleness, open alerts per vehicle). */
  readonly overview: PgFleetOverviewReader;
  /** Alert subscriptions and their webhook delivery log (delivered by `telltale notifier`). */
  readonly subscriptions: PgSubscriptionStore;
  /** The live alert streams in Redis. */
  readonly alertStreams: RedisAlertStreamReader;
  /** The online feature store in Redis (written by `telltale features`). */
  readonly features: FeatureReader;
  /** Rule backtests running in this instance (jobs). */
  readonly backtests: BacktestJobs;
  readonly events: ApiEvents;
  readonly health: () => Promise<Health>;
  readonly now: () => number;
}

export function principalOf(request: FastifyRequest): Principal {
  // The /v1 onRequest hook sets it before any handler runs; reaching this without one is a wiring bug.
  if (!request.principal)
    throw new Error(`route ${request.routeOptions.url ?? request.url} ran without authentication`);
  return request.principal;
}

export const vehicleNotFound = (vin: string): ApiError =>
  new ApiError(404, 'VEHICLE_NOT_FOUND', `Vehicle ${vin} not found.`, { details: { vin } });

/** The vehicle if the caller's fleets include it; otherwise 404, exactly as if it did not exist. */
export async function visibleVehicle(deps: ApiDeps, principal: Principal, vin: string): Promise<VehicleView> {
  const normalised = vin.toUpperCase();
  const vehicle = await deps.vehicles.get(normalised);
  if (!vehicle || !canSeeFleet(fleetScope(principal.fleets), vehicle.fleetId)) throw vehicleNotFound(normalised);
  return vehicle;
}

/** The catalog of a model version, or a 500 naming what this server lacks. */
export async function catalogOf(deps: ApiDeps, modelId: string, catalogVersion: string): Promise<Catalog> {
  const lookup = await deps.catalogs.get(modelId, catalogVersion);
  if (lookup.ok) return lookup.catalog.catalog;
  throw new ApiError(
    500,
    lookup.reason,
    lookup.reason === 'CATALOG_NOT_FOUND'
      ? `This API server has no catalog for model ${modelId} version ${catalogVersion}; install it in CATALOG_DIR.`
      : `The catalog of model ${modelId} version ${catalogVersion} does not load; see the server log.`,
    { details: { modelId, catalogVersion } },
  );
}

export const iso = (date: Date): string => date.toISOString();
export const isoOrNull = (date: Date | undefined): string | null => (date === undefined ? null : date.toISOString());
