/**
 * Shadow mode (engineer role to change, viewer to read): a saved version of a rule, or a new definition saved as the
 * next version, is deployed as the rule's shadow. Diagnostics evaluates it live beside the active version, with its
 * own state, and records its transitions in shadow_transitions only: no alert, webhook or stream sees them. The
 * comparison shows both sides over a range; promoting makes the shadow version the active one (history kept).
 *
 * Fleet scope as for every rule route: the rule must be visible to the key, a change needs write access to the
 * fleets of both the active and the shadow definition, and the comparison counts only vehicles of the key's fleets.
 */
import { Type } from 'typebox';
import type { JsonObject } from '@telltale/rules';
import { canSeeFleet, fleetScope } from '../../domain/access.js';
import { ruleEtag, expectedVersion, ruleProblemView } from '../../domain/rules.js';
import { compareShadow } from '../../domain/shadow-comparison.js';
import { isoTime, parseTimeParam } from '../../domain/time.js';
import type { ComparisonQuery, ListedTransition } from '../../adapters/pg-rules.js';
import { principalOf, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import { RULE_CHECK_COST } from '../limits.js';
import { errorResponses, FLEET_ID, nullable, TIME } from '../schemas.js';
import { ByState, DiffEntry, Evidence, listed } from './backtests.js';
import {
  actorOf,
  COMMENT,
  ModelVerdictSchema,
  RuleDefinition,
  RuleParams,
  RuleProblemSchema,
  RuleState,
  ruleAccess,
  stateJson,
} from './rules.js';

/** Transitions read per side for the counts; past it the answer says `truncated`. */
const MAX_COMPARED = 50_000;
const DEFAULT_RANGE_MS = 24 * 3600_000;

const TimeParam = Type.String({
  maxLength: 40,
  description: 'ms since the epoch or ISO 8601 with an offset; event time',
});

const Side = Type.Object({
  transitions: Type.Integer(),
  byState: ByState,
  vehiclesAlerted: Type.Integer(),
  versions: Type.Array(Type.Integer(), { description: 'rule versions that made these transitions' }),
  truncated: Type.Boolean({ description: `more than ${MAX_COMPARED} transitions: counts cover the oldest ones` }),
});

const Transition = Type.Object({
  alertId: Type.String(),
  transitionSeq: Type.Integer(),
  vin: Type.String(),
  fleetId: Type.String(),
  ruleVersion: Type.Integer(),
  state: Type.String(),
  severity: Type.String(),
  eventTime: TIME,
  eventTimeMs: Type.Integer(),
  episodeStartMs: Type.Integer(),
  timer: Type.Boolean(),
  message: Type.String(),
  evidence: Type.Array(Evidence),
});

const Comparison = Type.Object({
  ruleId: Type.String(),
  activeVersion: Type.Integer(),
  shadowVersion: nullable(
    Type.Integer({ description: 'the shadow compared: the deployed one, else the last one that recorded anything' }),
  ),
  shadowDeployed: Type.Boolean({ description: 'shadowVersion is deployed now (not promoted or stopped)' }),
  shadowSince: nullable(TIME),
  from: TIME,
  to: TIME,
  active: Side,
  shadow: Side,
  vehicles: Type.Array(
    Type.Object({
      vin: Type.String(),
      active: Type.Object({ transitions: Type.Integer(), raised: Type.Integer() }),
      shadow: Type.Object({ transitions: Type.Integer(), raised: Type.Integer() }),
    }),
    { description: 'most different first; at most `limit`' },
  ),
  vehiclesTotal: Type.Integer(),
  diff: Type.Object(
    {
      matched: Type.Integer({ description: 'same alert id, sequence, state, severity and event time on both sides' }),
      onlyShadow: listed(DiffEntry, 'the shadow version made them; the active version did not'),
      onlyActive: listed(DiffEntry, 'the active version made them; the shadow version did not'),
      changed: listed(
        Type.Object({ shadow: DiffEntry, active: DiffEntry }),
        'same alert id and sequence, another state, severity or event time',
      ),
    },
    { description: 'by (alertId, transitionSeq); lists hold at most `limit` entries, counts are exact' },
  ),
  transitions: Type.Object(
    {
      active: Type.Array(Transition),
      shadow: Type.Array(Transition),
    },
    { description: 'newest first, at most `limit` per side, with evidence' },
  ),
});

const transitionJson = (t: ListedTransition) => ({ ...t, eventTime: isoTime(t.eventTimeMs) });

export function ruleShadowRoutes(app: App, deps: ApiDeps): void {
  const { checked, visibleRule, requireWrite } = ruleAccess(deps);

  app.post(
    '/rules/:ruleId/shadow',
    {
      config: { role: 'engineer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: 'Deploy a version as shadow: evaluated live beside the active version, notifying no one',
        description:
          'Give `version` (a saved version other than the current one) or `rule` (a new definition, saved as the ' +
          'next version without becoming current). It replaces any shadow the rule had: a rule has at most one. ' +
          'Diagnostics evaluates it within a second, with its own state (timers, hysteresis, as live) from the ' +
          'data that arrives from then on, and records its transitions apart: compare with ' +
          '`GET /v1/rules/{ruleId}/shadow`, then promote or stop it. The version is checked against every model ' +
          '(400 `RULE_INVALID`); 409 `RULE_SHADOW_IS_ACTIVE` for the current version. The key must be allowed the ' +
          'fleets of both the active and the shadow definition.',
        params: RuleParams,
        body: Type.Object(
          {
            version: Type.Optional(Type.Integer({ minimum: 1, description: 'a saved version' })),
            rule: Type.Optional(RuleDefinition),
            comment: COMMENT,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            rule: RuleState,
            shadow: Type.Object({
              version: Type.Integer(),
              definition: Type.Object({}, { additionalProperties: true }),
            }),
            warnings: Type.Array(RuleProblemSchema),
            models: Type.Array(ModelVerdictSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { ruleId } = request.params;
      const { version, rule, comment } = request.body;
      if ((version === undefined) === (rule === undefined))
        throw invalidRequest([{ path: '/body/version', message: 'give either version (saved) or rule (a new one)' }]);
      const current = await visibleRule(principal, ruleId);
      requireWrite(principal, current.definition, `deploy a shadow of rule ${ruleId}`);
      let definition: JsonObject;
      if (rule !== undefined) {
        definition = { ...(rule as JsonObject), id: rule.id };
        if (rule.id !== ruleId)
          throw new ApiError(400, 'RULE_ID_MISMATCH', `The rule's id "${rule.id}" is not "${ruleId}".`, {
            details: { path: '/body/rule/id', ruleId },
          });
      } else definition = (await deps.rules.get(ruleId, version)).definition;
      requireWrite(principal, definition, `deploy this shadow of rule ${ruleId}`);
      const result = await checked({ ...definition, version: version ?? current.currentVersion + 1 });
      const actor = actorOf(principal);
      const state = await deps.rules.deployShadow(
        ruleId,
        rule !== undefined ? { definition } : { version: version! },
        actor,
        comment,
      );
      const shadow = await deps.rules.get(ruleId, state.shadowVersion);
      deps.events.changed('rule.shadow', principal.keyId, { ruleId, version: state.shadowVersion });
      return {
        rule: stateJson(state),
        shadow: { version: shadow.version, definition: shadow.definition },
        warnings: result.problems.map(ruleProblemView),
        models: result.models,
      };
    },
  );

  app.delete(
    '/rules/:ruleId/shadow',
    {
      config: { role: 'engineer' },
      schema: {
        tags: ['rules'],
        summary: "Stop the rule's shadow: diagnostics drops it (its transitions stay for comparison)",
        description: 'Idempotent: a rule without a shadow is answered as it is, with no audit entry.',
        params: RuleParams,
        response: { 200: RuleState, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { ruleId } = request.params;
      const current = await visibleRule(principal, ruleId);
      requireWrite(principal, current.definition, `stop the shadow of rule ${ruleId}`);
      const state = await deps.rules.stopShadow(ruleId, actorOf(principal));
      if (current.shadowVersion !== undefined)
        deps.events.changed('rule.unshadow', principal.keyId, { ruleId, version: current.shadowVersion });
      return stateJson(state);
    },
  );

  app.post(
    '/rules/:ruleId/promote',
    {
      config: { role: 'engineer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: 'Promote the shadow version: it becomes the active version (alerts, webhooks, streams)',
        description:
          'The shadow stops; the version becomes current, every version and the audit trail stay. Active alerts of ' +
          'the rule continue under the promoted version (their next transitions name it). Optimistic concurrency ' +
          'like PUT: `If-Match: "<active version>"` or `expectedVersion`; `shadowVersion` guards against promoting ' +
          'another shadow than the one compared. 409 `RULE_SHADOW_NOT_FOUND` without a (matching) shadow.',
        params: RuleParams,
        headers: Type.Object({
          'if-match': Type.Optional(Type.String({ description: 'ETag of the active version: "3"' })),
        }),
        body: Type.Optional(
          Type.Object(
            {
              expectedVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'the active version seen' })),
              shadowVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'the shadow version seen' })),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: Type.Object({ rule: RuleState, previousVersion: Type.Integer() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { ruleId } = request.params;
      const expected = expectedVersion(request.headers['if-match'], request.body?.expectedVersion);
      if (!expected.ok) throw invalidRequest([{ path: expected.path, message: expected.message }]);
      const current = await visibleRule(principal, ruleId);
      requireWrite(principal, current.definition, `promote the shadow of rule ${ruleId}`);
      if (current.shadowVersion !== undefined) {
        const shadow = await deps.rules.get(ruleId, current.shadowVersion);
        requireWrite(principal, shadow.definition, `promote the shadow of rule ${ruleId}`);
        // Valid when deployed; a newer catalog may have dropped a signal since.
        await checked(shadow.definition);
      }
      const state = await deps.rules.promoteShadow(ruleId, actorOf(principal), {
        ...(expected.version === undefined ? {} : { expectedVersion: expected.version }),
        ...(request.body?.shadowVersion === undefined ? {} : { shadowVersion: request.body.shadowVersion }),
      });
      deps.events.changed('rule.promote', principal.keyId, { ruleId, version: state.currentVersion });
      reply.header('etag', ruleEtag(state.currentVersion));
      return { rule: stateJson(state), previousVersion: state.previousVersion };
    },
  );

  app.get(
    '/rules/:ruleId/shadow',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['rules'],
        summary: 'Shadow vs active side by side: transitions, per-vehicle counts, what one raised and the other not',
        description:
          'Over [from, to) of event time (default: since the shadow was deployed, at most the last 24 h, to now), ' +
          "for the vehicles of the key's fleets (or `fleet`). The active side is what live diagnostics recorded " +
          'for the rule (any version current at the time); the shadow side what the shadow version recorded. ' +
          'Matched by (alertId, transitionSeq): alert ids are deterministic, so both versions give an episode ' +
          'that starts at the same sample the same id. "Rule-removed" clears are left out.',
        params: RuleParams,
        querystring: Type.Object(
          {
            from: Type.Optional(TimeParam),
            to: Type.Optional(TimeParam),
            fleet: Type.Optional(FLEET_ID),
            shadowVersion: Type.Optional(
              Type.Integer({ minimum: 1, description: 'an earlier shadow version (default: the deployed one)' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Comparison, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { ruleId } = request.params;
      const q = request.query;
      const limit = q.limit ?? 100;
      const current = await visibleRule(principal, ruleId);
      const scope = fleetScope(principal.fleets);
      if (q.fleet !== undefined && !canSeeFleet(scope, q.fleet))
        throw new ApiError(404, 'FLEET_NOT_FOUND', `Fleet ${q.fleet} not found.`, { details: { fleetId: q.fleet } });
      const state = (await deps.rules.history(ruleId)).rule;
      const now = deps.now();
      const to = q.to === undefined ? { ok: true as const, ms: now } : parseTimeParam(q.to);
      if (!to.ok) throw invalidRequest([{ path: '/querystring/to', message: to.reason }]);
      const since = state.shadowSince?.getTime();
      const from =
        q.from === undefined
          ? { ok: true as const, ms: Math.max(since ?? 0, to.ms - DEFAULT_RANGE_MS) }
          : parseTimeParam(q.from);
      if (!from.ok) throw invalidRequest([{ path: '/querystring/from', message: from.reason }]);
      if (to.ms <= from.ms) throw invalidRequest([{ path: '/querystring/to', message: 'must be after from' }]);
      const shadowVersion = q.shadowVersion ?? state.shadowVersion ?? (await deps.ruleReader.lastShadowVersion(ruleId));
      const base = { ruleId, fromMs: from.ms, toMs: to.ms, scope, fleetId: q.fleet };
      const activeQuery: ComparisonQuery = { ...base, version: undefined };
      const shadowQuery: ComparisonQuery = { ...base, version: shadowVersion ?? 0 };
      const [active, shadow, activeListed, shadowListed] = await Promise.all([
        deps.ruleReader.comparedTransitions('active', activeQuery, MAX_COMPARED + 1),
        deps.ruleReader.comparedTransitions('shadow', shadowQuery, MAX_COMPARED + 1),
        deps.ruleReader.listedTransitions('active', activeQuery, limit),
        deps.ruleReader.listedTransitions('shadow', shadowQuery, limit),
      ]);
      const comparison = compareShadow(active.slice(0, MAX_COMPARED), shadow.slice(0, MAX_COMPARED), limit);
      return {
        ruleId,
        activeVersion: current.currentVersion,
        shadowVersion: shadowVersion ?? null,
        shadowDeployed: shadowVersion !== undefined && shadowVersion === state.shadowVersion,
        shadowSince: state.shadowSince === undefined ? null : isoTime(state.shadowSince.getTime()),
        from: isoTime(from.ms),
        to: isoTime(to.ms),
        active: {
          ...comparison.active,
          versions: [...comparison.active.versions],
          truncated: active.length > MAX_COMPARED,
        },
        shadow: {
          ...comparison.shadow,
          versions: [...comparison.shadow.versions],
          truncated: shadow.length > MAX_COMPARED,
        },
        vehicles: [...comparison.vehicles],
        vehiclesTotal: comparison.vehiclesTotal,
        diff: comparison.diff,
        transitions: { active: activeListed.map(transitionJson), shadow: shadowListed.map(transitionJson) },
      };
    },
  );
}
