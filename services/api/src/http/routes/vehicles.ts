/** Reading vehicles, their latest signal values and signal history (viewer and up, within the key's fleets). */
import { Type } from 'typebox';
import { fleetScope, type Principal } from '../../domain/access.js';
import { resolveSignalName, splitNameList, type NameResolution } from '../../domain/signal-names.js';
import { choiceLabel, describeSignal, signalValueView, type SignalValueView } from '../../domain/signal-values.js';
import { isoTime, parseTimeParam } from '../../domain/time.js';
import { bucketGrid, concatInOrder, mergeBuckets, pageOf, splitAtHotWindow } from '../../domain/history.js';
import type { HistoryPoint } from '../../adapters/pg-signals.js';
import type { Catalog, CatalogSignal } from '@telltale/catalog';
import type { VehicleView } from '../../adapters/pg-vehicles.js';
import { catalogOf, iso, principalOf, visibleVehicle, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest, routeNotFound } from '../errors.js';
import { errorResponses, ids, LatestSignals, SignalHistory, VehicleDetail, VehicleList } from '../schemas.js';

export function vehicleJson(v: VehicleView) {
  return {
    vin: v.vin,
    fleetId: v.fleetId,
    modelId: v.modelId,
    catalogVersion: v.catalogVersion,
    deviceId: v.deviceId ?? null,
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
  };
}

const VinParams = Type.Object({ vin: ids.VIN });
const DEFAULT_HISTORY_WINDOW_MS = 24 * 3600 * 1000;
const DEFAULT_HISTORY_LIMIT = 1000;
const MAX_HISTORY_BUCKETS = 10_000;
const DEFAULT_PAGE = 100;

/** The signal a name means in this catalog, or the 400/404 that explains why there is none. */
export function signalForName(catalog: Catalog, name: string, where: string): CatalogSignal {
  const resolution: NameResolution = resolveSignalName(catalog, name);
  if (resolution.kind === 'found') return resolution.signal;
  if (resolution.kind === 'ambiguous') {
    throw new ApiError(
      400,
      'SIGNAL_NAME_AMBIGUOUS',
      `Signal name "${name}" matches ${resolution.candidates.length} signals of ${catalog.modelId}; ` +
        `use a qualified name: ${resolution.candidates.join(', ')}.`,
      { details: { path: where, name, candidates: resolution.candidates } },
    );
  }
  const hint = resolution.hints.length > 0 ? ` Similar: ${resolution.hints.join(', ')}.` : '';
  throw new ApiError(
    404,
    'SIGNAL_NOT_FOUND',
    `No signal "${name}" in ${catalog.modelId} ${catalog.catalogVersion}; ` +
      'use a signal name, <bus>/<message>/<signal> ' +
      `or an alias such as ${[...catalog.aliases.keys()].slice(0, 2).join(' or ') || 'vehicleSpeed'}.${hint}`,
    { details: { path: where, name, hints: resolution.hints } },
  );
}

export function timeParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const parsed = parseTimeParam(raw);
  if (!parsed.ok) throw invalidRequest([{ path: `/querystring/${name}`, message: parsed.reason }]);
  return parsed.ms;
}

export function vehicleReadRoutes(app: App, deps: ApiDeps): void {
  app.get(
    '/vehicles',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['vehicles'],
        summary: "List the vehicles of the key's fleets",
        description: 'In VIN order, one page at a time: pass `nextCursor` as `cursor` for the next page.',
        querystring: Type.Object(
          {
            fleet: Type.Optional(ids.FLEET_ID),
            model: Type.Optional(ids.MODEL_ID),
            cursor: Type.Optional(
              Type.String({ pattern: '^[A-HJ-NPR-Z0-9]{17}$', description: 'nextCursor of the previous page' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_PAGE })),
          },
          { additionalProperties: false },
        ),
        response: { 200: VehicleList, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { fleet, model, cursor, limit = DEFAULT_PAGE } = request.query;
      const { vehicles, more } = await deps.vehicles.list({
        scope: fleetScope(principal.fleets),
        fleetId: fleet,
        modelId: model,
        afterVin: cursor,
        limit,
      });
      return { vehicles: vehicles.map(vehicleJson), nextCursor: more ? (vehicles.at(-1)?.vin ?? null) : null };
    },
  );

  app.get(
    '/vehicles/:vin',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['vehicles'],
        summary: 'One vehicle, its catalog and when it was last heard from',
        params: VinParams,
        response: { 200: VehicleDetail, ...errorResponses },
      },
    },
    async (request) => {
      const vehicle = await visibleVehicle(deps, principalOf(request), request.params.vin);
      const [lookup, lastSeen] = await Promise.all([
        deps.catalogs.get(vehicle.modelId, vehicle.catalogVersion),
        deps.signals.lastSeen(vehicle.vin),
      ]);
      return {
        ...vehicleJson(vehicle),
        catalog: lookup.ok
          ? {
              available: true,
              displayName: lookup.catalog.catalog.displayName,
              signalCount: lookup.catalog.catalog.signalCount,
            }
          : { available: false, displayName: null, signalCount: null },
        lastSeen: lastSeen
          ? {
              eventTimeMs: lastSeen.eventTimeMs,
              eventTime: isoTime(lastSeen.eventTimeMs),
              receiveTimeMs: lastSeen.receiveTimeMs,
              receiveTime: isoTime(lastSeen.receiveTimeMs),
            }
          : null,
      };
    },
  );

  app.get(
    '/vehicles/:vin/signals',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['signals'],
        summary: 'Latest value of every signal (or of the named ones), with unit, label and staleness',
        description:
          'Read from the real-time store without a cache. ' +
          "A value is `stale` when its event time is older than the signal's `staleAfterMs`. " +
          '`names` takes signal names, qualified names (`bus/message/signal`) and aliases (`vehicleSpeed`), ' +
          'comma-separated or repeated.',
        params: VinParams,
        querystring: Type.Object(
          {
            names: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
                maxItems: 100,
                description: 'signal names, comma-separated',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: LatestSignals, ...errorResponses },
      },
    },
    async (request) => {
      const vehicle = await visibleVehicle(deps, principalOf(request), request.params.vin);
      const catalog = await catalogOf(deps, vehicle.modelId, vehicle.catalogVersion);
      const names = request.query.names === undefined ? undefined : splitNameList(request.query.names);
      const wanted = names?.map((name) => ({ name, signal: signalForName(catalog, name, '/querystring/names') }));
      const rows = await deps.signals.latest(
        vehicle.vin,
        wanted?.map((w) => w.signal.id),
      );
      const nowMs = deps.now();
      const signals: SignalValueView[] = [];
      const unresolved: number[] = [];
      const older = new Map<string, Catalog | undefined>();
      for (const row of rows) {
        // Ids are stable across catalog versions; a value decoded with an older version is described by the
        // vehicle's current catalog, or by its own version's when the current one retired the signal.
        let source = catalog;
        let signal = catalog.signals[row.signalId];
        if (!signal && row.catalogVersion !== catalog.catalogVersion) {
          if (!older.has(row.catalogVersion)) {
            const lookup = await deps.catalogs.get(row.modelId, row.catalogVersion);
            older.set(row.catalogVersion, lookup.ok ? lookup.catalog.catalog : undefined);
          }
          const other = older.get(row.catalogVersion);
          signal = other?.signals[row.signalId];
          if (other) source = other;
        }
        if (signal) signals.push(signalValueView(source, signal, row, nowMs));
        else unresolved.push(row.signalId);
      }
      const present = new Set(rows.map((r) => r.signalId));
      return {
        vin: vehicle.vin,
        modelId: vehicle.modelId,
        catalogVersion: vehicle.catalogVersion,
        nowMs,
        now: isoTime(nowMs),
        count: signals.length,
        signals,
        missing: (wanted ?? []).filter((w) => !present.has(w.signal.id)).map((w) => w.name),
        unresolvedSignalIds: unresolved,
      };
    },
  );

  const HistoryQuery = Type.Object(
    {
      from: Type.Optional(Type.String({ description: 'inclusive; ms since the epoch or ISO 8601' })),
      to: Type.Optional(Type.String({ description: 'exclusive; ms since the epoch or ISO 8601' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: DEFAULT_HISTORY_LIMIT })),
      order: Type.Optional(Type.Enum(['asc', 'desc'], { default: 'asc' })),
      points: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: MAX_HISTORY_BUCKETS,
          description: 'downsample on the server: at most this many time buckets with min/max/avg each',
        }),
      ),
    },
    { additionalProperties: false },
  );
  type HistoryQueryValue = { from?: string; to?: string; limit?: number; order?: 'asc' | 'desc'; points?: number };

  const history = async (principal: Principal, vin: string, name: string, query: HistoryQueryValue) => {
    const vehicle = await visibleVehicle(deps, principal, vin);
    const catalog = await catalogOf(deps, vehicle.modelId, vehicle.catalogVersion);
    const nowMs = deps.now();
    const requestedTo = timeParam(query.to, 'to');
    // Downsampling needs an end: the buckets of an open range end now.
    const toMs = requestedTo ?? (query.points === undefined ? undefined : nowMs);
    const fromMs = timeParam(query.from, 'from') ?? (toMs ?? nowMs) - DEFAULT_HISTORY_WINDOW_MS;
    if (toMs !== undefined && fromMs >= toMs)
      throw invalidRequest([{ path: '/querystring/from', message: `must be before to (${isoTime(toMs)})` }]);
    if (query.points !== undefined && query.order === 'desc')
      throw invalidRequest([{ path: '/querystring/order', message: 'buckets (points) are always oldest first' }]);
    const signal = signalForName(catalog, name, '/params/name');
    const hotWindowStartMs = deps.historyHotHours > 0 ? nowMs - deps.historyHotHours * 3_600_000 : nowMs;
    const { cold, hot } = splitAtHotWindow(fromMs, toMs, hotWindowStartMs);
    const at = { vin: vehicle.vin, signalId: signal.id };
    const archiveRange = cold && { ...at, modelId: vehicle.modelId, ...cold };
    const { limit = DEFAULT_HISTORY_LIMIT, order = 'asc' } = query;
    const base = {
      vin: vehicle.vin,
      signal: describeSignal(signal),
      fromMs,
      from: isoTime(fromMs),
      toMs: toMs ?? null,
      to: toMs === undefined ? null : isoTime(toMs),
      order,
      hotWindowStartMs,
    };

    if (query.points !== undefined) {
      const end = toMs!;
      const grid = bucketGrid(fromMs, end, query.points);
      const [cold, hotParts] = await Promise.all([
        archiveRange ? deps.archive.buckets(archiveRange, grid) : undefined,
        hot ? deps.signals.historyBuckets({ ...at, ...hot }, grid.originMs, grid.widthMs) : [],
      ]);
      const buckets = mergeBuckets({ fromMs, toMs: end }, grid, [cold?.partials ?? [], hotParts]);
      return {
        ...base,
        count: buckets.length,
        points: [],
        bucketMs: grid.widthMs,
        archiveHours: { rollup: cold?.rollupHours ?? 0, raw: cold?.rawHours ?? 0 },
        buckets: buckets.map((b) => ({ ...b, from: isoTime(b.fromMs) })),
        next: null,
      };
    }

    // Raw samples: the older source first (asc) or the newer first (desc); one sample beyond the page is read to
    // know whether more follow and whether the page's last millisecond is complete.
    const want = limit + 1;
    const fromArchive = async () => (archiveRange ? deps.archive.samples(archiveRange, want, order) : []);
    const fromStore = async (n: number) =>
      hot && n > 0 ? deps.signals.history({ ...at, ...hot, limit: n, order }) : [];
    let merged: HistoryPoint[];
    if (order === 'asc') {
      const older = await fromArchive();
      merged = concatInOrder(older, await fromStore(want - older.length), order, want);
    } else {
      const newer = await fromStore(want);
      merged = concatInOrder(newer.length < want ? await fromArchive() : [], newer, order, want);
    }
    const page = pageOf(merged, limit, order, { fromMs, toMs });
    return {
      ...base,
      count: page.points.length,
      points: page.points.map((p) => ({
        eventTimeMs: p.eventTimeMs,
        eventTimeUs: p.eventTimeMs * 1000 + p.eventTimeSubMsUs,
        eventTime: isoTime(p.eventTimeMs),
        value: p.value,
        label: choiceLabel(catalog, signal, p.value),
        receiveTimeMs: p.receiveTimeMs,
        catalogVersion: p.catalogVersion,
      })),
      bucketMs: null,
      archiveHours: null,
      buckets: null,
      next: page.next && { fromMs: page.next.fromMs, toMs: page.next.toMs ?? null },
    };
  };

  app.get(
    '/vehicles/:vin/signals/:name/history',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['signals'],
        summary: 'Stored samples of one signal in a time range, by event time',
        description:
          '`name` is a signal name, qualified name (`powertrain/VCU_VehicleStatus/VCU_VehicleSpeed`; ' +
          'its slashes may be URL-encoded) or alias. ' +
          '`from` (inclusive) and `to` (exclusive) are milliseconds since the epoch or ISO 8601 with an offset; ' +
          '`from` defaults to 24 h before `to` (or now), `to` to no upper bound. ' +
          'A full page has `next`: the range of the following page. ' +
          "The hot window (the last STORE_HISTORY_HOT_HOURS, at the store's resolution) is read from PostgreSQL, " +
          'older history from the archive (every sample, to the µs); each sample comes from exactly one of them. ' +
          '`points=N` downsamples on the server: `buckets` holds min/max/avg/count per time bucket ' +
          '(at most N, oldest first) instead of raw `points`.',
        params: Type.Object({ vin: ids.VIN, name: Type.String({ minLength: 1, maxLength: 300 }) }),
        querystring: HistoryQuery,
        response: { 200: SignalHistory, ...errorResponses },
      },
    },
    (request) => history(principalOf(request), request.params.vin, request.params.name, request.query),
  );

  // The same with a qualified name's slashes left unencoded: /vehicles/{vin}/signals/bus/message/signal/history.
  app.get(
    '/vehicles/:vin/signals/*',
    {
      config: { role: 'viewer' },
      schema: {
        hide: true,
        params: Type.Object({ vin: ids.VIN, '*': Type.String({ maxLength: 300 }) }),
        querystring: HistoryQuery,
        response: { 200: SignalHistory, ...errorResponses },
      },
    },
    (request) => {
      const path = request.params['*'];
      const name = path.endsWith('/history') ? path.slice(0, -'/history'.length) : '';
      if (name === '') throw routeNotFound(request.method, request.url);
      return history(principalOf(request), request.params.vin, name, request.query);
    },
  );
}
