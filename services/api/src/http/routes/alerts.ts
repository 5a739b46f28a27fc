/**
 * Alerts as diagnostics records them (0005_alerts.sql): listed and read with the viewer role, acknowledged with the
 * engineer role, always within the key's fleets: another fleet's alert answers 404 exactly like one that does not
 * exist, and never appears in a list.
 */
import { Type } from 'typebox';
import { SEVERITIES } from '@telltale/rules';
import { fleetScope } from '../../domain/access.js';
import { admittedSeverities, decodeAlertCursor, encodeAlertCursor } from '../../domain/alerts.js';
import { isoTime } from '../../domain/time.js';
import type { AlertQuery, AlertTransitionView, AlertView } from '../../adapters/pg-alerts.js';
import { principalOf, visibleVehicle, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import { errorResponses, ids, MS, nullable, TIME } from '../schemas.js';
import { actorOf } from './rules.js';
import { timeParam } from './vehicles.js';

const STATES = ['raised', 'escalated', 'deescalated', 'cleared'] as const;
const SEVERITY = Type.Enum([...SEVERITIES]);
const STATE = Type.Enum([...STATES]);
const ALERT_ID = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'alert id (a UUID, lowercase)',
});
const DEFAULT_PAGE = 100;

const Acknowledgement = nullable(
  Type.Object(
    {
      atMs: MS,
      at: TIME,
      by: Type.String({ description: 'the API key: key:<key id> (<name>)' }),
      note: nullable(Type.String()),
    },
    { description: 'the first acknowledgement; null while unacknowledged' },
  ),
);

const AlertSchema = Type.Object({
  alertId: Type.String(),
  vin: Type.String(),
  fleetId: Type.String({ description: 'the fleet of the vehicle when the alert was raised' }),
  modelId: Type.String(),
  ruleId: Type.String(),
  ruleVersion: Type.Integer({ description: 'the rule version of the latest transition' }),
  ruleName: Type.String(),
  origin: Type.String(),
  state: STATE,
  severity: SEVERITY,
  peakSeverity: SEVERITY,
  open: Type.Boolean({ description: 'not cleared' }),
  message: Type.String(),
  episodeStartMs: MS,
  raisedMs: MS,
  raised: TIME,
  updatedMs: MS,
  clearedMs: nullable(MS),
  cleared: nullable(TIME),
  lastSeq: Type.Integer({ description: 'transitions so far' }),
  backfill: Type.Boolean(),
  acknowledgement: Acknowledgement,
});

const EvidenceSchema = Type.Object(
  {
    signal: Type.String(),
    qualifiedName: Type.String(),
    value: nullable(Type.Number({ description: 'null: no sample of the signal yet, or an empty window' })),
    eventTimeMs: nullable(Type.Integer({ description: 'of the sample; for a window, the evaluation time' })),
    unit: Type.String(),
  },
  { additionalProperties: true },
);

const TransitionSchema = Type.Object({
  seq: Type.Integer({ description: '1 = raised' }),
  state: STATE,
  severity: SEVERITY,
  previousSeverity: nullable(SEVERITY),
  ruleId: Type.String(),
  ruleVersion: Type.Integer({ description: 'the rule version that made the transition' }),
  ruleName: Type.String(),
  catalogVersion: Type.String(),
  eventTimeMs: MS,
  eventTime: TIME,
  emitTimeMs: MS,
  evidence: Type.Array(EvidenceSchema, {
    description: 'the signal values that made the condition true (or the clear condition)',
  }),
  message: Type.String(),
  backfill: Type.Boolean(),
  timer: Type.Boolean({ description: 'fired by a deadline, not a sample' }),
  reason: Type.String({ description: 'condition or rule-removed' }),
});

const AlertList = Type.Object({
  alerts: Type.Array(AlertSchema),
  nextCursor: nullable(
    Type.String({ description: 'pass as ?cursor= for the next page (same filters); null on the last page' }),
  ),
});

const listFilters = {
  fleet: Type.Optional(ids.FLEET_ID),
  model: Type.Optional(ids.MODEL_ID),
  rule: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'rule id' })),
  severity: Type.Optional(Type.Array(SEVERITY, { maxItems: 4, description: 'current severity; repeat for several' })),
  minSeverity: Type.Optional(SEVERITY),
  state: Type.Optional(Type.Array(STATE, { maxItems: 4, description: 'repeat for several' })),
  open: Type.Optional(Type.Boolean({ description: 'true: not cleared; false: cleared' })),
  acknowledged: Type.Optional(Type.Boolean()),
  from: Type.Optional(Type.String({ description: 'raised at or after; ms since the epoch or ISO 8601' })),
  to: Type.Optional(Type.String({ description: 'raised before; ms since the epoch or ISO 8601' })),
  cursor: Type.Optional(Type.String({ maxLength: 100, description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_PAGE })),
};
const AlertListQuery = Type.Object({ vin: Type.Optional(ids.VIN), ...listFilters }, { additionalProperties: false });
const VehicleAlertListQuery = Type.Object(listFilters, { additionalProperties: false });
type ListQuery = {
  vin?: string;
  fleet?: string;
  model?: string;
  rule?: string;
  severity?: (typeof SEVERITIES)[number][];
  minSeverity?: (typeof SEVERITIES)[number];
  state?: (typeof STATES)[number][];
  open?: boolean;
  acknowledged?: boolean;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
};

export const alertJson = (a: AlertView) => ({
  alertId: a.alertId,
  vin: a.vin,
  fleetId: a.fleetId,
  modelId: a.modelId,
  ruleId: a.ruleId,
  ruleVersion: a.ruleVersion,
  ruleName: a.ruleName,
  origin: a.origin,
  state: a.state,
  severity: a.severity,
  peakSeverity: a.peakSeverity,
  open: a.clearedMs === undefined,
  message: a.message,
  episodeStartMs: a.episodeStartMs,
  raisedMs: a.raisedMs,
  raised: isoTime(a.raisedMs),
  updatedMs: a.updatedMs,
  clearedMs: a.clearedMs ?? null,
  cleared: a.clearedMs === undefined ? null : isoTime(a.clearedMs),
  lastSeq: a.lastSeq,
  backfill: a.backfill,
  acknowledgement:
    a.acknowledgedMs === undefined
      ? null
      : {
          atMs: a.acknowledgedMs,
          at: isoTime(a.acknowledgedMs),
          by: a.acknowledgedBy ?? '',
          note: a.acknowledgeNote ?? null,
        },
});

const transitionJson = (t: AlertTransitionView) => ({
  ...t,
  previousSeverity: t.previousSeverity ?? null,
  eventTime: isoTime(t.eventTimeMs),
  evidence: [...t.evidence],
});

const alertNotFound = (alertId: string): ApiError =>
  new ApiError(404, 'ALERT_NOT_FOUND', `Alert ${alertId} not found.`, { details: { alertId } });

export function alertRoutes(app: App, deps: ApiDeps): void {
  const list = async (query: ListQuery, base: Pick<AlertQuery, 'scope' | 'vin'>) => {
    const after = query.cursor === undefined ? undefined : decodeAlertCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined)
      throw invalidRequest([{ path: '/querystring/cursor', message: 'is not a cursor this API gave out' }]);
    const fromMs = timeParam(query.from, 'from');
    const toMs = timeParam(query.to, 'to');
    if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
      throw invalidRequest([{ path: '/querystring/from', message: `must be before to (${isoTime(toMs)})` }]);
    const limit = query.limit ?? DEFAULT_PAGE;
    const filtered = query.severity !== undefined || query.minSeverity !== undefined;
    const { alerts, more } = await deps.alerts.list({
      ...base,
      fleetId: query.fleet,
      modelId: query.model,
      ruleId: query.rule,
      severities: filtered ? admittedSeverities(query.severity, query.minSeverity) : undefined,
      states: query.state,
      open: query.open,
      acknowledged: query.acknowledged,
      fromMs,
      toMs,
      after,
      limit,
    });
    const last = alerts.at(-1);
    return {
      alerts: alerts.map(alertJson),
      nextCursor: more && last ? encodeAlertCursor({ raisedMs: last.raisedMs, alertId: last.alertId }) : null,
    };
  };

  const LIST_DESCRIPTION =
    'Newest raise first, one page at a time: pass `nextCursor` as `cursor` (with the same filters) ' +
    'for the next page. `severity` and `state` may be repeated; `minSeverity` keeps alerts at least that severe; ' +
    '`open=true` keeps alerts not yet cleared. `from` (inclusive) and `to` (exclusive) bound the raise time.';

  app.get(
    '/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['alerts'],
        summary: "Alerts of the key's fleets, filtered",
        description: LIST_DESCRIPTION,
        querystring: AlertListQuery,
        response: { 200: AlertList, ...errorResponses },
      },
    },
    (request) =>
      list(request.query, { scope: fleetScope(principalOf(request).fleets), vin: request.query.vin?.toUpperCase() }),
  );

  app.get(
    '/vehicles/:vin/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['alerts', 'vehicles'],
        summary: 'Alerts of one vehicle (GET /v1/alerts?vin=)',
        description: `${LIST_DESCRIPTION} A vehicle outside the key's fleets answers 404.`,
        params: Type.Object({ vin: ids.VIN }),
        querystring: VehicleAlertListQuery,
        response: { 200: AlertList, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const vehicle = await visibleVehicle(deps, principal, request.params.vin);
      return list(request.query, { scope: fleetScope(principal.fleets), vin: vehicle.vin });
    },
  );

  app.get(
    '/alerts/:alertId',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['alerts'],
        summary: 'One alert with its transitions: evidence, rule version, message',
        params: Type.Object({ alertId: ALERT_ID }),
        response: {
          200: Type.Object({
            ...AlertSchema.properties,
            transitions: Type.Array(TransitionSchema, { description: 'oldest first' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { alertId } = request.params;
      const found = await deps.alerts.get(fleetScope(principalOf(request).fleets), alertId);
      if (!found) throw alertNotFound(alertId);
      return { ...alertJson(found.alert), transitions: found.transitions.map(transitionJson) };
    },
  );

  app.post(
    '/alerts/:alertId/acknowledge',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['alerts'],
        summary: 'Acknowledge an alert, with an optional note',
        description:
          'Idempotent: the first acknowledgement is kept, and a repeated one answers 200 with it unchanged. ' +
          "Acknowledging changes neither the alert's state nor its clearing.",
        params: Type.Object({ alertId: ALERT_ID }),
        body: Type.Object(
          { note: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false, description: 'optional' },
        ),
        response: { 200: AlertSchema, ...errorResponses },
      },
      // A POST without a body is an acknowledgement without a note.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { alertId } = request.params;
      const done = await deps.alerts.acknowledge(
        fleetScope(principal.fleets),
        alertId,
        actorOf(principal),
        request.body.note,
        deps.now(),
      );
      if (!done) throw alertNotFound(alertId);
      if (done.first) deps.events.changed('alert.acknowledge', principal.keyId, { alertId });
      return alertJson(done.alert);
    },
  );
}
