/**
 * Fault rules (the language: services/core/rules/README.md): read with the viewer role, written with the engineer
 * role through @telltale/rules' PgRuleStore, which versions every save and keeps the audit trail (the actor is the
 * API key). Every saved or enabled rule is first compiled against the newest catalog of each vehicle model: an
 * error refuses it (400 RULE_INVALID with the problems), warnings are returned. Fleet scope: see domain/rules.ts.
 */
import { Type } from 'typebox';
import { compileRules, type JsonObject, type RuleProblem } from '@telltale/rules';
import { type StoredRule, type StoredRuleVersion } from '@telltale/rules/pg';
import { isTelltaleError, TelltaleError } from '@telltale/platform';
import { fleetScope, type Principal } from '../../domain/access.js';
import {
  canReadRule,
  checkRuleWrite,
  describeRuleErrors,
  expectedVersion,
  modelVerdicts,
  ruleEtag,
  ruleFleets,
  ruleProblemView,
  ruleSummary,
} from '../../domain/rules.js';
import type { CurrentRule } from '../../adapters/pg-rules.js';
import { iso, principalOf, type ApiDeps, type App } from '../context.js';
import { ApiError, invalidRequest } from '../errors.js';
import { errorResponses, nullable, TIME } from '../schemas.js';
import { RULE_CHECK_COST } from '../limits.js';

export const RULE_ID = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'rule id: letters, digits and . _ : - (at most 128)',
});
const field = (description: string) => Type.Optional(Type.Unknown({ description }));

const ruleFields = {
  version: field('set by the server: 1 on create, the current version + 1 on update (a value sent here is replaced)'),
  name: field('for people; defaults to the id'),
  description: field('for people'),
  tags: field('list of strings'),
  enabled: field("false keeps the rule out of the engine whatever the store's enabled flag"),
  scope: field("{ fleets, models, vins }: each list given must contain the vehicle's value; absent: all"),
  condition: field('expression that raises the alert'),
  sequence: field('{ first, then, within } instead of condition'),
  for: field('duration the condition must hold before the raise, e.g. "10s"'),
  severity: field('info, warning (default), major or critical'),
  ladder: field('[{ level, when, for }] from least to most severe, instead of severity'),
  clear: field('{ condition, for }'),
  reraiseAfter: field('least time between two raises for one vehicle'),
  message: field('template with {{ expression | format }} placeholders'),
  backfill: field('"ignore" (default) or "evaluate"'),
};
const RULE_DESCRIPTION =
  'A rule in the rule language (services/core/rules/README.md). ' +
  "The rule compiler checks it against every vehicle model's catalog; its " +
  'problems name the field (`/condition`), line and column.';
export const RuleDefinition = Type.Object(
  { id: RULE_ID, ...ruleFields },
  { additionalProperties: true, description: RULE_DESCRIPTION },
);
const RuleUpdateDefinition = Type.Object(
  { id: Type.Optional(RULE_ID), ...ruleFields },
  { additionalProperties: true, description: `${RULE_DESCRIPTION} \`id\` defaults to the path's.` },
);
export const COMMENT = Type.Optional(Type.String({ maxLength: 2000, description: 'why: stored with the version' }));

export const RuleProblemSchema = Type.Object({
  severity: Type.Enum(['error', 'warning']),
  code: Type.String({ description: 'RULE_SYNTAX, RULE_TYPE, RULE_UNKNOWN_SIGNAL, RULE_NOT_APPLICABLE, …' }),
  message: Type.String(),
  formatted: Type.String({
    description: 'the problem on one line: rule, path, line:column, [model], severity, code, message',
  }),
  ruleId: nullable(Type.String()),
  path: nullable(Type.String({ description: 'JSON pointer into the rule: /condition, /ladder/1/when' })),
  line: nullable(Type.Integer({ description: "1-based line inside the field's expression" })),
  column: nullable(Type.Integer({ description: '1-based column' })),
  offset: nullable(Type.Integer({ description: '0-based offset into the expression' })),
  length: nullable(Type.Integer()),
  modelId: nullable(Type.String({ description: 'the vehicle model whose catalog the problem concerns' })),
  suggestion: nullable(
    Type.String({ description: 'a replacement that would fix it: the nearest signal, label or function name' }),
  ),
});

export const ModelVerdictSchema = Type.Object({
  modelId: Type.String(),
  catalogVersion: Type.String({ description: 'the newest catalog of the model, which the rule was checked against' }),
  verdict: Type.Enum(['applies', 'error', 'not-applicable', 'out-of-scope']),
});

export const RuleState = Type.Object({
  ruleId: Type.String(),
  currentVersion: Type.Integer(),
  enabled: Type.Boolean({ description: "the store's flag: disabled rules are not loaded by diagnostics" }),
  shadowVersion: nullable(
    Type.Integer({
      description:
        'the version deployed as shadow: evaluated live beside the current one, recorded apart, notifying no one',
    }),
  ),
  shadowSince: nullable(TIME),
  createdAt: TIME,
  updatedAt: TIME,
});

const RuleSummary = Type.Object({
  ...RuleState.properties,
  name: Type.String(),
  severity: Type.String({ description: 'the highest level the rule raises' }),
  fleets: nullable(Type.Array(Type.String(), { description: 'scope.fleets; null: every fleet' })),
  models: nullable(Type.Array(Type.String(), { description: 'scope.models; null: every model' })),
  tags: Type.Array(Type.String()),
  updatedBy: Type.String({ description: 'who saved the current version' }),
});

const RuleVersionSchema = Type.Object({
  ruleId: Type.String(),
  version: Type.Integer(),
  currentVersion: Type.Integer(),
  enabled: Type.Boolean(),
  definition: Type.Object(
    {},
    { additionalProperties: true, description: 'the rule as saved, with its id and version' },
  ),
  createdBy: Type.String({ description: 'the API key that saved it: key:<key id> (<name>)' }),
  createdAt: TIME,
  comment: nullable(Type.String()),
});

const SavedRule = Type.Object({
  rule: RuleVersionSchema,
  warnings: Type.Array(RuleProblemSchema),
  models: Type.Array(ModelVerdictSchema),
});

const RuleHistorySchema = Type.Object({
  rule: RuleState,
  versions: Type.Array(
    Type.Object({
      version: Type.Integer(),
      definition: Type.Object({}, { additionalProperties: true }),
      createdBy: Type.String(),
      createdAt: TIME,
      comment: nullable(Type.String()),
    }),
    { description: 'oldest first' },
  ),
  audit: Type.Array(
    Type.Object({
      id: Type.Integer(),
      version: Type.Integer(),
      actor: Type.String(),
      action: Type.Enum(['create', 'update', 'enable', 'disable', 'shadow', 'unshadow', 'promote']),
      at: TIME,
      summary: Type.Object(
        {},
        {
          additionalProperties: true,
          description: 'create: name, severity, fields; update: the fields changed, added, removed, before and after',
        },
      ),
    }),
    { description: 'oldest first' },
  ),
});

export const RuleParams = Type.Object({ ruleId: RULE_ID });

/** The audit trail's actor: the API key, by id and name. */
export const actorOf = (principal: Principal): string => `key:${principal.keyId} (${principal.name})`.slice(0, 200);

export const stateJson = (r: StoredRule) => ({
  ruleId: r.ruleId,
  currentVersion: r.currentVersion,
  enabled: r.enabled,
  shadowVersion: r.shadowVersion ?? null,
  shadowSince: r.shadowSince === undefined ? null : iso(r.shadowSince),
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
});

const summaryJson = (r: CurrentRule) => {
  const { name, severity, fleets, models, tags } = ruleSummary(r.definition);
  return { ...stateJson(r), name, severity, fleets, models, tags, updatedBy: r.updatedBy };
};

const versionJson = (v: StoredRuleVersion, rule: { readonly enabled: boolean; readonly currentVersion: number }) => ({
  ruleId: v.ruleId,
  version: v.version,
  currentVersion: rule.currentVersion,
  enabled: rule.enabled,
  definition: v.definition,
  createdBy: v.createdBy,
  createdAt: iso(v.createdAt),
  comment: v.comment ?? null,
});

/**
 * Rule ids are one namespace across fleets, so a create may collide with a rule the caller cannot see. The answer
 * is the same whichever fleet holds the id: it names no fleet, version or owner, and does not suggest updating a
 * rule the caller may not see (that PUT answers 404).
 */
const ruleIdTaken = (ruleId: string): ApiError =>
  new ApiError(409, 'RULE_EXISTS', `Rule id ${ruleId} is already taken; choose another id.`, {
    details: { path: '/body/rule/id', ruleId },
  });

const ruleNotFound = (ruleId: string): TelltaleError =>
  new TelltaleError('RULE_NOT_FOUND', `Rule ${ruleId} does not exist.`, { details: { ruleId } });

interface RuleCheck {
  readonly ok: boolean;
  readonly problems: readonly RuleProblem[];
  readonly models: ReturnType<typeof modelVerdicts>;
}

/** 400 RULE_INVALID naming the errors, with every problem (errors and warnings) in the details. */
export function ruleInvalid(
  definition: JsonObject,
  problems: readonly RuleProblem[],
  extra: Readonly<Record<string, unknown>> = {},
): ApiError {
  const ruleId = typeof definition.id === 'string' ? definition.id : '(no id)';
  return new ApiError(
    400,
    'RULE_INVALID',
    describeRuleErrors(
      ruleId,
      problems.filter((p) => p.severity === 'error'),
    ),
    { details: { ruleId, problems: problems.map(ruleProblemView), ...extra } },
  );
}

/** What the rule routes share: the catalog check, the fleet-scoped lookup and the write check. */
export function ruleAccess(deps: ApiDeps) {
  /** Compiles the definition against the newest catalog of each model. */
  const check = async (definition: JsonObject): Promise<RuleCheck> => {
    const catalogs = (await deps.catalogs.latestPerModel()).map((c) => c.catalog);
    const { problems, ok } = compileRules([definition], catalogs);
    return { ok, problems, models: modelVerdicts(catalogs, problems, ruleSummary(definition).models) };
  };

  /** The check, or 400 RULE_INVALID listing every problem (errors and warnings). */
  const checked = async (definition: JsonObject): Promise<RuleCheck> => {
    const result = await check(definition);
    if (!result.ok) throw ruleInvalid(definition, result.problems, { models: result.models });
    return result;
  };

  /** The rule's current version if the caller sees it; otherwise 404 as if it did not exist. */
  const visibleRule = async (principal: Principal, ruleId: string) => {
    const current = await deps.rules.get(ruleId).catch((error: unknown) => {
      throw error instanceof TelltaleError && error.code === 'RULE_NOT_FOUND' ? ruleNotFound(ruleId) : error;
    });
    if (!canReadRule(fleetScope(principal.fleets), ruleFleets(current.definition))) throw ruleNotFound(ruleId);
    return current;
  };

  const requireWrite = (principal: Principal, definition: unknown, what: string): void => {
    const verdict = checkRuleWrite(fleetScope(principal.fleets), principal.fleets, ruleFleets(definition));
    if (!verdict.ok) {
      throw new ApiError(403, 'FORBIDDEN', `API key ${principal.keyId} cannot ${what}: ${verdict.reason}.`, {
        details: { keyFleets: [...principal.fleets] },
      });
    }
  };

  return { check, checked, visibleRule, requireWrite };
}

export function ruleRoutes(app: App, deps: ApiDeps): void {
  const { check, checked, visibleRule, requireWrite } = ruleAccess(deps);

  app.get(
    '/rules',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['rules'],
        summary: 'The rules the key sees, by id, with their current version',
        description:
          'A key limited to some fleets sees the rules that cover every fleet (no `scope.fleets`) ' +
          'and those that share a fleet with it.',
        querystring: Type.Object(
          { enabled: Type.Optional(Type.Boolean({ description: 'only enabled (true) or disabled (false) rules' })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ rules: Type.Array(RuleSummary) }), ...errorResponses },
      },
    },
    async (request) => {
      const scope = fleetScope(principalOf(request).fleets);
      const { enabled } = request.query;
      const rules = (await deps.ruleReader.listCurrent()).filter(
        (r) => canReadRule(scope, ruleFleets(r.definition)) && (enabled === undefined || r.enabled === enabled),
      );
      return { rules: rules.map(summaryJson) };
    },
  );

  app.post(
    '/rules/validate',
    {
      config: { role: 'viewer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: "Check a rule against every vehicle model's newest catalog, without saving it",
        description:
          'Always 200 for a rule that could be checked: `ok` is false when the rule has an error. ' +
          '`models` says, per vehicle model, whether the rule applies.',
        body: Type.Object({ rule: RuleDefinition }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            ruleId: Type.String(),
            problems: Type.Array(RuleProblemSchema),
            models: Type.Array(ModelVerdictSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { rule } = request.body;
      const result = await check({ ...(rule as JsonObject), version: 1 });
      return { ok: result.ok, ruleId: rule.id, problems: result.problems.map(ruleProblemView), models: result.models };
    },
  );

  app.get(
    '/rules/:ruleId',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['rules'],
        summary: "A rule's current definition, or an older version",
        description: 'The current version answers with `ETag: "<version>"`: send it back as `If-Match` when updating.',
        params: RuleParams,
        querystring: Type.Object(
          {
            version: Type.Optional(
              Type.Integer({ minimum: 1, description: 'an older version; default: the current one' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: RuleVersionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { ruleId } = request.params;
      const { version } = request.query;
      const current = await visibleRule(principalOf(request), ruleId);
      if (version === undefined || version === current.version) {
        reply.header('etag', ruleEtag(current.version));
        return versionJson(current, current);
      }
      return versionJson(await deps.rules.get(ruleId, version), current);
    },
  );

  app.get(
    '/rules/:ruleId/history',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['rules'],
        summary: 'Every version of a rule and its audit trail: who did what, when',
        params: RuleParams,
        response: { 200: RuleHistorySchema, ...errorResponses },
      },
    },
    async (request) => {
      const { ruleId } = request.params;
      await visibleRule(principalOf(request), ruleId);
      const history = await deps.rules.history(ruleId);
      return {
        rule: stateJson(history.rule),
        versions: history.versions.map((v) => ({
          version: v.version,
          definition: v.definition,
          createdBy: v.createdBy,
          createdAt: iso(v.createdAt),
          comment: v.comment ?? null,
        })),
        audit: history.audit.map((a) => ({
          id: a.id,
          version: a.version,
          actor: a.actor,
          action: a.action,
          at: iso(a.at),
          summary: a.summary,
        })),
      };
    },
  );

  app.post(
    '/rules',
    {
      config: { role: 'engineer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: 'Create a rule (version 1, enabled)',
        description:
          'Refused with 400 `RULE_INVALID` when the rule has an error for any vehicle model (`details.problems`); ' +
          'warnings come back in `warnings`. ' +
          'A key limited to some fleets may only create rules whose `scope.fleets` lists some of its fleets ' +
          'and no other; a rule for every fleet needs a key for all fleets.',
        body: Type.Object({ rule: RuleDefinition, comment: COMMENT }, { additionalProperties: false }),
        response: { 201: SavedRule, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { rule, comment } = request.body;
      requireWrite(principal, rule, `create rule ${rule.id}`);
      const result = await checked({ ...(rule as JsonObject), version: 1 });
      const saved = await deps.rules.create(rule, actorOf(principal), comment).catch((error: unknown) => {
        throw isTelltaleError(error, 'RULE_EXISTS') ? ruleIdTaken(rule.id) : error;
      });
      deps.events.changed('rule.create', principal.keyId, { ruleId: saved.ruleId, version: saved.version });
      reply.header('etag', ruleEtag(saved.version)).header('location', `/v1/rules/${encodeURIComponent(saved.ruleId)}`);
      return reply.status(201).send({
        rule: versionJson(saved, { enabled: true, currentVersion: saved.version }),
        warnings: result.problems.map(ruleProblemView),
        models: result.models,
      });
    },
  );

  app.put(
    '/rules/:ruleId',
    {
      config: { role: 'engineer', rateCost: RULE_CHECK_COST },
      schema: {
        tags: ['rules'],
        summary: 'Save a new version of a rule; it becomes current',
        description:
          'Optimistic concurrency: send the version you edited as `If-Match: "<version>"` ' +
          '(the ETag of GET /v1/rules/{ruleId}) or as `expectedVersion`; ' +
          'when someone saved another version meanwhile the answer is 409 `RULE_VERSION_CONFLICT`. ' +
          "The key must be allowed the rule's fleets both before and after the change.",
        params: RuleParams,
        headers: Type.Object({
          'if-match': Type.Optional(Type.String({ description: 'ETag of the version edited: "3"' })),
        }),
        body: Type.Object(
          {
            rule: RuleUpdateDefinition,
            comment: COMMENT,
            expectedVersion: Type.Optional(
              Type.Integer({ minimum: 1, description: 'the version edited; like If-Match' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: SavedRule, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { ruleId } = request.params;
      const { rule, comment } = request.body;
      const expected = expectedVersion(request.headers['if-match'], request.body.expectedVersion);
      if (!expected.ok) throw invalidRequest([{ path: expected.path, message: expected.message }]);
      const current = await visibleRule(principal, ruleId);
      requireWrite(principal, current.definition, `change rule ${ruleId}`);
      const definition = { ...(rule as JsonObject), id: rule.id ?? ruleId };
      if (definition.id !== ruleId) {
        throw new ApiError(
          400,
          'RULE_ID_MISMATCH',
          `The rule's id "${definition.id}" is not the rule being saved ("${ruleId}").`,
          { details: { path: '/body/rule/id', ruleId } },
        );
      }
      requireWrite(principal, definition, `change rule ${ruleId} this way`);
      const result = await checked({ ...definition, version: current.currentVersion + 1 });
      const saved = await deps.rules.update(
        ruleId,
        definition,
        actorOf(principal),
        comment,
        expected.version === undefined ? {} : { expectedVersion: expected.version },
      );
      deps.events.changed('rule.update', principal.keyId, { ruleId, version: saved.version });
      reply.header('etag', ruleEtag(saved.version));
      return {
        rule: versionJson(saved, { enabled: current.enabled, currentVersion: saved.version }),
        warnings: result.problems.map(ruleProblemView),
        models: result.models,
      };
    },
  );

  for (const enabled of [true, false]) {
    const action = enabled ? 'enable' : 'disable';
    app.post(
      `/rules/:ruleId/${action}`,
      {
        config: { role: 'engineer', rateCost: enabled ? RULE_CHECK_COST : 1 },
        schema: {
          tags: ['rules'],
          summary: enabled
            ? 'Enable a rule (its current version is checked first)'
            : 'Disable a rule: diagnostics clears its active alerts',
          description: 'Idempotent: a rule already so is answered as it is, with no audit entry.',
          params: RuleParams,
          response: { 200: RuleState, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const { ruleId } = request.params;
        const current = await visibleRule(principal, ruleId);
        requireWrite(principal, current.definition, `${action} rule ${ruleId}`);
        // A rule valid when saved may have lost a signal to a newer catalog since.
        if (enabled && !current.enabled) await checked(current.definition);
        const state = await deps.rules.setEnabled(ruleId, enabled, actorOf(principal));
        if (state.enabled !== current.enabled)
          deps.events.changed(`rule.${action}`, principal.keyId, { ruleId, version: state.currentVersion });
        return stateJson(state);
      },
    );
  }
}
