/**
 * Rule backtests (engineer role): a draft rule or a saved version replayed over the archived history of the
 * caller's vehicles through the rule engine diagnostics runs live (@telltale/backtest). Long: each backtest is a job
 * of this API instance — POST starts it (202 + Location), GET polls progress and result, DELETE cancels.
 *
 * Fleet scope: only vehicles of the key's fleets are replayed (a fleet or VIN outside them is 404 as if it did not
 * exist); a saved rule must be one the key sees. A job is visible to the key that started it only.
 */
import { Type } from 'typebox';
import { compileBacktestRule, DEFAULT_FLAP_WINDOW_MS } from '@telltale/backtest';
import { parseDuration, type JsonObject } from '@telltale/rules';
import { TelltaleError } from '@telltale/platform';
import type { VehicleRecord } from '@telltale/registry';
import type { BacktestJob } from '../../adapters/backtest-jobs.js';
import { canSeeFleet, fleetScope, type Principal } from '../../domain/access.js';
import { canReadRule, ruleFleets } from '../../domain/rules.js';
import { isoTime, parseTimeParam } from '../../domain/time.js';
import { principalOf, vehicleNotFound, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import { RULE_CHECK_COST } from '../limits.js';
import { errorResponses, FLEET_ID, nullable, TIME, VIN } from '../schemas.js';
import { RULE_ID, RuleDefinition, ruleInvalid } from './rules.js';

/** At most this many VINs named in one request. */
const MAX_VINS = 500;

const TimeParam = Type.String({
  maxLength: 40,
  description: 'ms since the epoch or ISO 8601 with an offset (2026-05-04T00:00:00Z); event time',
});

const BacktestRequest = Type.Object(
  {
    rule: Type.Optional(RuleDefinition),
    ruleId: Type.Optional(RULE_ID),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'with ruleId: that version (default: current)' })),
    from: TimeParam,
    to: Type.Optional(TimeParam),
    fleet: Type.Optional(FLEET_ID),
    vins: Type.Optional(Type.Array(VIN, { minItems: 1, maxItems: MAX_VINS })),
    flapWindow: Type.Optional(
      Type.String({ maxLength: 32, description: 'a raise cleared within this counts as a flap; default 5m' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Give `rule` (a draft, not saved) or `ruleId` (a saved rule). Vehicles: `fleet`, `vins`, or neither ' +
      '(every vehicle of the key’s fleets).',
  },
);

export const Evidence = Type.Object({
  signal: Type.String(),
  qualifiedName: Type.String(),
  value: nullable(Type.Number()),
  eventTimeMs: nullable(Type.Number()),
  unit: Type.String(),
});

const Transition = Type.Object({
  alertId: Type.String({ description: 'deterministic: the id live diagnostics gives the same episode' }),
  transitionSeq: Type.Integer(),
  vin: Type.String(),
  ruleId: Type.String(),
  ruleVersion: Type.Integer(),
  state: Type.Enum(['raised', 'escalated', 'deescalated', 'cleared']),
  severity: Type.Enum(['info', 'warning', 'major', 'critical']),
  eventTime: TIME,
  eventTimeMs: Type.Integer(),
  episodeStartMs: Type.Integer(),
  timer: Type.Boolean({ description: 'fired by a deadline (`for`, clear delay, stale(), window), not a sample' }),
  message: Type.String(),
  evidence: Type.Array(Evidence),
});

export const DiffEntry = Type.Object({
  alertId: Type.String(),
  transitionSeq: Type.Integer(),
  vin: Type.String(),
  state: Type.String(),
  severity: Type.String(),
  eventTimeMs: Type.Integer(),
});
export const listed = <T extends ReturnType<typeof Type.Object>>(item: T, description: string) =>
  Type.Object({ count: Type.Integer(), items: Type.Array(item) }, { description });

/** Transitions counted by the state they moved to. */
export const ByState = Type.Object({
  raised: Type.Integer(),
  escalated: Type.Integer(),
  deescalated: Type.Integer(),
  cleared: Type.Integer(),
});

const Summary = Type.Object({
  samples: Type.Integer({ description: 'rule-relevant samples replayed' }),
  transitions: Type.Integer(),
  byState: ByState,
  vehicles: Type.Array(
    Type.Object({
      vin: Type.String(),
      samples: Type.Integer(),
      transitions: Type.Integer(),
      raised: Type.Integer(),
      flaps: Type.Integer(),
      firstAlertMs: nullable(Type.Integer()),
      timeToFirstAlertMs: nullable(Type.Integer({ description: "from the vehicle's first replayed sample" })),
    }),
    { description: 'most alerted first' },
  ),
  vehiclesWithAlerts: Type.Integer(),
  flapping: Type.Object({
    windowMs: Type.Integer(),
    count: Type.Integer(),
    items: Type.Array(
      Type.Object({
        vin: Type.String(),
        alertId: Type.String(),
        raisedMs: Type.Integer(),
        clearedMs: Type.Integer(),
      }),
    ),
  }),
  timeToFirstAlert: nullable(
    Type.Object({
      vehicles: Type.Integer(),
      minMs: Type.Integer(),
      medianMs: Type.Integer(),
      maxMs: Type.Integer(),
    }),
  ),
  diff: nullable(
    Type.Object(
      {
        live: Type.Integer({ description: 'transitions live diagnostics recorded for the rule id, vehicles, range' }),
        matched: Type.Integer({ description: 'same alert id, sequence, state, severity and event time' }),
        onlyBacktest: listed(DiffEntry, 'the backtest makes them; live did not'),
        onlyLive: listed(DiffEntry, 'live made them; the backtest does not'),
        changed: listed(
          Type.Object({ backtest: DiffEntry, live: DiffEntry }),
          'same alert id and sequence, another state, severity or event time',
        ),
      },
      { description: 'compared by (alertId, transitionSeq); lists hold at most 100 entries, counts are exact' },
    ),
  ),
});

const Job = Type.Object({
  id: Type.String({ format: 'uuid' }),
  state: Type.Enum(['running', 'done', 'failed', 'cancelled']),
  ruleId: Type.String(),
  ruleVersion: Type.Integer(),
  draft: Type.Boolean({ description: 'a rule sent in the request rather than a saved version' }),
  from: TIME,
  to: TIME,
  vehicles: Type.Integer(),
  createdAt: TIME,
  finishedAt: nullable(TIME),
  progress: nullable(
    Type.Object({
      fraction: Type.Number({ minimum: 0, maximum: 1, description: 'archived rows read / rows in the range' }),
      hoursRead: Type.Integer(),
      hourGroups: Type.Integer({ description: 'hour partitions (per model) in the range' }),
      files: Type.Integer(),
      samples: Type.Integer(),
      transitions: Type.Integer(),
      reached: TIME,
    }),
  ),
  error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  result: nullable(
    Type.Object({
      summary: Summary,
      transitions: Type.Array(Transition, { description: 'in event time per vehicle; at most `transitionsLimit`' }),
      transitionsTotal: Type.Integer(),
      truncated: Type.Boolean(),
      files: Type.Integer(),
      elapsedMs: Type.Integer(),
    }),
  ),
});

const JobParams = Type.Object({ jobId: Type.String({ format: 'uuid' }) });

function jobJson(job: BacktestJob) {
  const p = job.progress;
  const r = job.result;
  return {
    id: job.id,
    state: job.state,
    ruleId: job.spec.ruleId,
    ruleVersion: job.spec.ruleVersion,
    draft: job.spec.draft,
    from: isoTime(job.spec.fromMs),
    to: isoTime(job.spec.toMs),
    vehicles: job.spec.vehicles.length,
    createdAt: isoTime(job.createdMs),
    finishedAt: job.finishedMs === null ? null : isoTime(job.finishedMs),
    progress:
      p === null
        ? null
        : {
            fraction:
              p.archivedRows === 0 ? (job.state === 'done' ? 1 : 0) : Math.min(1, p.scannedRows / p.archivedRows),
            hoursRead: p.hoursRead,
            hourGroups: p.hourGroups,
            files: p.files,
            samples: p.samples,
            transitions: p.transitions,
            reached: isoTime(p.reachedMs),
          },
    error: job.error,
    result:
      r === null
        ? null
        : {
            summary: r.summary,
            transitions: r.transitions.map((t) => ({
              ...t,
              evidence: [...t.evidence],
              eventTime: isoTime(t.eventTimeMs),
            })),
            transitionsTotal: r.transitionsTotal,
            truncated: r.transitions.length < r.transitionsTotal,
            files: r.files,
            elapsedMs: r.elapsedMs,
          },
  };
}

const jobNotFound = (jobId: string): ApiError =>
  new ApiError(404, 'BACKTEST_NOT_FOUND', `Backtest ${jobId} not found (or it finished and expired).`, {
    details: { jobId },
  });

export function backtestRoutes(app: App, deps: ApiDeps): void {
  /** The vehicles to replay: the request's fleet or VINs, within the key's fleets. */
  const vehiclesFor = async (
    principal: Principal,
    fleet: string | undefined,
    vins: readonly string[] | undefined,
  ): Promise<VehicleRecord[]> => {
    const scope = fleetScope(principal.fleets);
    if (vins !== undefined) {
      const out: VehicleRecord[] = [];
      for (const vin of new Set(vins.map((v) => v.toUpperCase()))) {
        const record = await deps.registry.getVehicle(vin);
        if (record === undefined || !canSeeFleet(scope, record.fleetId)) throw vehicleNotFound(vin);
        out.push(record);
      }
      return out;
    }
    if (fleet !== undefined && !canSeeFleet(scope, fleet))
      throw new ApiError(404, 'FLEET_NOT_FOUND', `Fleet ${fleet} not found.`, { details: { fleetId: fleet } });
    return (await deps.registry.listVehicles()).filter(
      (r) => canSeeFleet(scope, r.fleetId) && (fleet === undefined || r.fleetId === fleet),
    );
  };

  app.post(
    '/rules/backtest',
    {
      config: { role: 'engineer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: 'Start a backtest: what a rule would have done over the archived history (a job)',
        description:
          'Compiles the rule (a draft, or a saved version) against the newest catalog of each model and replays ' +
          "the archive's history of the chosen vehicles over [from, to) in event time through the rule engine " +
          'diagnostics runs live: timers fire at their event times, alert ids are the ones live diagnostics ' +
          'gives. Answers 202 with the job; poll `GET /v1/rules/backtest/{jobId}` (Location) for progress and ' +
          'the result (transitions with evidence, per-vehicle counts, flapping, time to first alert, diff ' +
          'against the transitions live diagnostics recorded for the rule id); `DELETE` cancels. 400 ' +
          '`RULE_INVALID` lists the problems of a rule with an error; 429 `BACKTEST_BUSY` when this instance ' +
          'runs its maximum of backtests (retry later).',
        body: BacktestRequest,
        response: { 202: Job, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      if ((body.rule === undefined) === (body.ruleId === undefined))
        throw invalidRequest([{ path: '/body/rule', message: 'give either rule (a draft) or ruleId (a saved rule)' }]);
      if (body.rule !== undefined && body.version !== undefined)
        throw invalidRequest([{ path: '/body/version', message: 'applies to ruleId only' }]);
      if (body.fleet !== undefined && body.vins !== undefined)
        throw invalidRequest([{ path: '/body/vins', message: 'give fleet or vins, not both' }]);
      const from = parseTimeParam(body.from);
      if (!from.ok) throw invalidRequest([{ path: '/body/from', message: from.reason }]);
      const to = body.to === undefined ? { ok: true as const, ms: deps.now() } : parseTimeParam(body.to);
      if (!to.ok) throw invalidRequest([{ path: '/body/to', message: to.reason }]);
      if (to.ms <= from.ms) throw invalidRequest([{ path: '/body/to', message: 'must be after from' }]);
      const flapWindowMs = body.flapWindow === undefined ? DEFAULT_FLAP_WINDOW_MS : parseDuration(body.flapWindow);
      if (flapWindowMs === undefined)
        throw invalidRequest([{ path: '/body/flapWindow', message: 'must be a duration such as 5m or 90s' }]);

      let definition: JsonObject;
      if (body.ruleId !== undefined) {
        const saved = await deps.rules.get(body.ruleId, body.version);
        if (!canReadRule(fleetScope(principal.fleets), ruleFleets(saved.definition)))
          throw new TelltaleError('RULE_NOT_FOUND', `Rule ${body.ruleId} does not exist.`, {
            details: { ruleId: body.ruleId },
          });
        definition = saved.definition;
      } else definition = body.rule as JsonObject;

      const catalogs = (await deps.catalogs.latestPerModel()).map((c) => c.catalog);
      const compiled = compileBacktestRule(definition, catalogs);
      if (!compiled.ok) throw ruleInvalid(definition, compiled.problems);
      const rule = compiled.snapshot.rules[0]!;
      const vehicles = await vehiclesFor(principal, body.fleet, body.vins);
      const job = deps.backtests.start({
        ownerKeyId: principal.keyId,
        snapshot: compiled.snapshot,
        ruleId: rule.id,
        ruleVersion: rule.version,
        draft: body.rule !== undefined,
        vehicles: vehicles.map((v) => ({
          vin: v.vin,
          modelId: v.modelId,
          fleetId: v.fleetId,
          catalogVersion: v.catalogVersion,
        })),
        fromMs: from.ms,
        toMs: to.ms,
        flapWindowMs,
      });
      reply.header('location', `/v1/rules/backtest/${job.id}`);
      return reply.code(202).send(jobJson(job));
    },
  );

  const ownJob = (principal: Principal, jobId: string): BacktestJob => {
    const job = deps.backtests.get(jobId);
    if (job === undefined || job.spec.ownerKeyId !== principal.keyId) throw jobNotFound(jobId);
    return job;
  };

  app.get(
    '/rules/backtest/:jobId',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['rules'],
        summary: 'A backtest: state, progress and (once done) its result',
        description:
          'Visible to the API key that started it, on the API instance that runs it, for an hour after it ' +
          'finished. `state` is running, done, failed (with `error`) or cancelled.',
        params: JobParams,
        response: { 200: Job, ...errorResponses },
      },
    },
    (request) => Promise.resolve(jobJson(ownJob(principalOf(request), request.params.jobId))),
  );

  app.delete(
    '/rules/backtest/:jobId',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['rules'],
        summary: 'Cancel a running backtest',
        description: 'Answers once the job stopped (state cancelled); a finished job is returned unchanged.',
        params: JobParams,
        response: { 200: Job, ...errorResponses },
      },
    },
    async (request) => {
      const job = ownJob(principalOf(request), request.params.jobId);
      await deps.backtests.cancel(job.id);
      return jobJson(job);
    },
  );
}
