/**
 * Read models the console needs and the other routes do not give in one request: the caller's own key (what the
 * console may offer) and the fleet overview (a page of vehicles with last seen, share of stale signals and open
 * alerts by severity). Both within the key's fleets, viewer and up.
 */
import { Type } from 'typebox';
import type { Catalog } from '@telltale/catalog';
import { fleetScope } from '../../domain/access.js';
import { isoTime } from '../../domain/time.js';
import type { SignalCounts, StaleThresholds } from '../../adapters/pg-fleet-overview.js';
import { principalOf, type ApiDeps, type App } from '../context.js';
import { errorResponses, ids, nullable, Vehicle } from '../schemas.js';
import { vehicleJson } from './vehicles.js';

const Me = Type.Object({
  keyId: Type.String(),
  name: Type.String(),
  role: Type.Enum(['viewer', 'engineer', 'admin']),
  fleets: Type.Array(Type.String(), { description: '`*` means every fleet' }),
});

const SEVERITIES = ['info', 'warning', 'major', 'critical'] as const;

const Overview = Type.Object({
  nowMs: Type.Integer(),
  vehicles: Type.Array(
    Type.Object({
      ...Vehicle.properties,
      lastSeen: nullable(Type.Object({ eventTimeMs: Type.Integer(), eventTime: Type.String() })),
      signals: Type.Object({
        total: Type.Integer({ description: 'signals with a stored latest value' }),
        stale: Type.Integer({ description: "of those, older than their signal's staleAfterMs" }),
        staleShare: nullable(Type.Number({ description: 'stale / total; null without values' })),
      }),
      openAlerts: Type.Object(
        Object.fromEntries(SEVERITIES.map((s) => [s, Type.Integer()])) as Record<
          (typeof SEVERITIES)[number],
          ReturnType<typeof Type.Integer>
        >,
        { description: 'alerts not yet cleared, by current severity' },
      ),
    }),
  ),
  nextCursor: nullable(Type.String()),
});

function thresholdsOf(catalog: Catalog): StaleThresholds {
  const signalIds: number[] = [];
  const staleAfterMs: number[] = [];
  for (const s of catalog.signals)
    if (s?.staleAfterMs !== undefined) {
      signalIds.push(s.id);
      staleAfterMs.push(Math.round(s.staleAfterMs));
    }
  return { signalIds, staleAfterMs };
}

export function overviewRoutes(app: App, deps: ApiDeps): void {
  const { overview } = deps;
  const thresholds = new WeakMap<Catalog, StaleThresholds>();

  app.get(
    '/me',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['keys'],
        summary: 'The calling API key: name, role and fleets (what a client may offer its user)',
        response: { 200: Me, ...errorResponses },
      },
    },
    (request) => {
      const { keyId, name, role, fleets } = principalOf(request);
      return { keyId, name, role, fleets: [...fleets] };
    },
  );

  app.get(
    '/vehicles/overview',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['vehicles'],
        summary: "A page of the key's vehicles with last seen, share of stale signals and open alerts",
        description: 'Same filters and paging as `GET /v1/vehicles` (limit up to 200).',
        querystring: Type.Object(
          {
            fleet: Type.Optional(ids.FLEET_ID),
            model: Type.Optional(ids.MODEL_ID),
            cursor: Type.Optional(Type.String({ pattern: '^[A-HJ-NPR-Z0-9]{17}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Overview, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const scope = fleetScope(principal.fleets);
      const { fleet, model, cursor, limit = 50 } = request.query;
      const { vehicles, more } = await deps.vehicles.list({
        scope,
        fleetId: fleet,
        modelId: model,
        afterVin: cursor,
        limit,
      });
      const nowMs = deps.now();
      const byVersion = new Map<string, typeof vehicles>();
      for (const v of vehicles) {
        const k = `${v.modelId}@${v.catalogVersion}`;
        byVersion.set(k, [...(byVersion.get(k) ?? []), v]);
      }
      const counts = new Map<string, SignalCounts>();
      await Promise.all(
        [...byVersion.values()].map(async (group) => {
          const first = group[0]!;
          const lookup = await deps.catalogs.get(first.modelId, first.catalogVersion);
          let t: StaleThresholds = { signalIds: [], staleAfterMs: [] };
          if (lookup.ok) {
            t = thresholds.get(lookup.catalog.catalog) ?? thresholdsOf(lookup.catalog.catalog);
            thresholds.set(lookup.catalog.catalog, t);
          }
          const found = await overview.signalCounts(
            group.map((v) => v.vin),
            t,
            nowMs,
          );
          for (const [vin, c] of found) counts.set(vin, c);
        }),
      );
      const alerts = await overview.openAlerts(
        vehicles.map((v) => v.vin),
        scope,
      );
      return {
        nowMs,
        vehicles: vehicles.map((v) => {
          const c = counts.get(v.vin);
          const open = alerts.get(v.vin) ?? {};
          return {
            ...vehicleJson(v),
            lastSeen:
              c?.lastEventTimeMs === undefined
                ? null
                : { eventTimeMs: c.lastEventTimeMs, eventTime: isoTime(c.lastEventTimeMs) },
            signals: {
              total: c?.total ?? 0,
              stale: c?.stale ?? 0,
              staleShare: c === undefined || c.total === 0 ? null : c.stale / c.total,
            },
            openAlerts: Object.fromEntries(SEVERITIES.map((s) => [s, open[s] ?? 0])) as Record<
              (typeof SEVERITIES)[number],
              number
            >,
          };
        }),
        nextCursor: more ? (vehicles.at(-1)?.vin ?? null) : null,
      };
    },
  );
}
