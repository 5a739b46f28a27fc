/**
 * A feature set as people write it (JSON files applied with `telltale features apply`, stored in PostgreSQL): per
 * vehicle model, a list of features, each an expression of the rule language (signals, aliases, arithmetic,
 * functions) aggregated over an event-time window. Strict when loading: an unknown field, a bad duration or an
 * expression that does not parse is a problem naming the JSON path and, inside an expression, the line and column —
 * the same RuleProblem shape and codes as rules, so tools show both alike.
 *
 *   {
 *     "id": "aurora-health", "models": ["aurora-ev-2026"],
 *     "window": "5m", "hop": "1m", "allowedLateness": "30s",
 *     "features": [
 *       { "name": "cell_spread_avg", "expression": "cellVoltageMax - cellVoltageMin", "aggregate": "avg" },
 *       { "name": "coolant_hot_s", "expression": "coolantTemperature", "aggregate": "time-above", "threshold": 45 }
 *     ]
 *   }
 */
import {
  parseDuration,
  parseExpression,
  RuleExpressionError,
  type Expr,
  type RuleProblem,
  type RuleProblemCode,
} from '@telltale/rules';

export const AGGREGATES = [
  'avg',
  'min',
  'max',
  'std',
  'count',
  'delta',
  'rate',
  'last',
  'time-above',
  'p50',
  'p90',
  'p95',
  'p99',
] as const;
/** The percentile aggregates and their quantile (QuantileSketch: within 1 % of the value, nearest rank). */
export const PERCENTILES: Readonly<Partial<Record<Aggregate, number>>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };
export type Aggregate = (typeof AGGREGATES)[number];

export interface FeatureDefinition {
  readonly name: string;
  readonly expression: string;
  readonly aggregate: Aggregate;
  /** time-above only: seconds of the window the expression's value was above this. */
  readonly threshold?: number;
  /**
   * This feature's own, longer window, e.g. "60m": a whole number of the set's hops, at least the set's window, for a
   * slow trend beside the set's short windows (not for percentiles). Emitted with the set's windows: at each window
   * end E it covers [E − window, E).
   */
  readonly window?: string;
  readonly description?: string;
  readonly unit?: string;
}

export interface FeatureSetDefinition {
  readonly id: string;
  /** Assigned by the store (1, 2, …); a file may omit it. */
  readonly version?: number;
  readonly description?: string;
  readonly models: readonly string[];
  /** Window length, e.g. "5m". */
  readonly window: string;
  /** Hopping windows start every `hop` (must divide `window`); omitted: tumbling (hop = window). */
  readonly hop?: string;
  /** How far behind the vehicle's newest event time a sample may arrive and still count. Default 30s. */
  readonly allowedLateness?: string;
  readonly features: readonly FeatureDefinition[];
}

export interface ParsedFeature {
  readonly name: string;
  readonly expr: Expr;
  readonly source: string;
  readonly aggregate: Aggregate;
  readonly threshold: number;
  readonly unit: string;
  /** The feature's window: its own, or the set's. */
  readonly windowMs: number;
  /** JSON pointer of the expression field. */
  readonly path: string;
}

export interface ParsedFeatureSet {
  readonly id: string;
  readonly version: number;
  readonly models: readonly string[];
  readonly windowMs: number;
  readonly hopMs: number;
  readonly allowedLatenessMs: number;
  readonly features: readonly ParsedFeature[];
  readonly definition: FeatureSetDefinition;
}

export const FEATURE_SET_LIMITS = {
  maxFeatures: 64,
  minWindowMs: 1_000,
  maxWindowMs: 24 * 3600_000,
  /** Hopping windows a sample falls into (window / hop). */
  maxOverlap: 60,
  maxLatenessMs: 3600_000,
  /** A feature's own window, in the set's hops (it keeps one accumulator per hop). */
  maxFeatureWindowHops: 1440,
} as const;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const FEATURE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const TOP_FIELDS = new Set(['id', 'version', 'description', 'models', 'window', 'hop', 'allowedLateness', 'features']);
const FEATURE_FIELDS = new Set(['name', 'expression', 'aggregate', 'threshold', 'window', 'description', 'unit']);

export type FeatureSetParse =
  | { readonly ok: true; readonly set: ParsedFeatureSet; readonly problems: readonly RuleProblem[] }
  | { readonly ok: false; readonly problems: readonly RuleProblem[] };

/** Validates a feature set's JSON; `version` overrides the file's (the store assigns it). */
export function parseFeatureSet(input: unknown, version?: number): FeatureSetParse {
  const problems: RuleProblem[] = [];
  const setId = isObject(input) && typeof input.id === 'string' ? input.id : undefined;
  const fail = (code: RuleProblemCode, path: string, message: string): void => {
    problems.push({
      severity: 'error',
      code,
      message: `${path} ${message}`,
      path,
      ...(setId === undefined ? {} : { ruleId: setId }),
    });
  };
  if (!isObject(input)) {
    fail('RULE_INVALID', '/', 'must be a JSON object');
    return { ok: false, problems };
  }
  for (const key of Object.keys(input)) if (!TOP_FIELDS.has(key)) fail('RULE_INVALID', `/${key}`, 'is not a field');
  if (setId === undefined || !ID.test(setId)) fail('RULE_INVALID', '/id', 'must match [A-Za-z0-9._:-]{1,128}');
  const fileVersion = input.version;
  if (fileVersion !== undefined && (!Number.isInteger(fileVersion) || (fileVersion as number) < 1))
    fail('RULE_INVALID', '/version', 'must be a positive integer');
  const models = input.models;
  if (!Array.isArray(models) || models.length === 0 || !models.every((m) => typeof m === 'string' && ID.test(m)))
    fail('RULE_INVALID', '/models', 'must list one or more vehicle model ids');
  const duration = (field: string, fallback: string | undefined): number | undefined => {
    const text = input[field] ?? fallback;
    const ms = typeof text === 'string' ? parseDuration(text) : undefined;
    if (ms === undefined) fail('RULE_INVALID', `/${field}`, 'must be a duration like 30s, 5m or 1h');
    return ms;
  };
  const windowMs = duration('window', undefined);
  const hopMs = duration('hop', typeof input.window === 'string' ? input.window : undefined);
  const latenessMs = duration('allowedLateness', '30s');
  if (windowMs !== undefined) {
    if (windowMs < FEATURE_SET_LIMITS.minWindowMs || windowMs > FEATURE_SET_LIMITS.maxWindowMs)
      fail('RULE_INVALID', '/window', 'must be between 1s and 24h');
    if (hopMs !== undefined) {
      if (hopMs <= 0 || windowMs % hopMs !== 0) fail('RULE_INVALID', '/hop', 'must divide the window');
      else if (windowMs / hopMs > FEATURE_SET_LIMITS.maxOverlap)
        fail('RULE_INVALID', '/hop', `must be at least 1/${FEATURE_SET_LIMITS.maxOverlap} of the window`);
    }
  }
  if (latenessMs !== undefined && latenessMs > FEATURE_SET_LIMITS.maxLatenessMs)
    fail('RULE_INVALID', '/allowedLateness', 'must be at most 1h');
  const features: ParsedFeature[] = [];
  const list = input.features;
  if (!Array.isArray(list) || list.length === 0 || list.length > FEATURE_SET_LIMITS.maxFeatures) {
    fail('RULE_INVALID', '/features', `must list 1 to ${FEATURE_SET_LIMITS.maxFeatures} features`);
  } else {
    const names = new Set<string>();
    list.forEach((item: unknown, i) => {
      const at = `/features/${i}`;
      if (!isObject(item)) return fail('RULE_INVALID', at, 'must be an object');
      for (const key of Object.keys(item))
        if (!FEATURE_FIELDS.has(key)) fail('RULE_INVALID', `${at}/${key}`, 'is not a field');
      const { name, expression, aggregate, threshold } = item;
      if (typeof name !== 'string' || !FEATURE_NAME.test(name))
        return fail('RULE_INVALID', `${at}/name`, 'must be snake_case: [a-z][a-z0-9_]{0,63}');
      if (names.has(name)) return fail('RULE_DUPLICATE_ID', `${at}/name`, `repeats feature "${name}"`);
      names.add(name);
      if (typeof aggregate !== 'string' || !(AGGREGATES as readonly string[]).includes(aggregate))
        return fail('RULE_INVALID', `${at}/aggregate`, `must be one of ${AGGREGATES.join(', ')}`);
      if (
        aggregate === 'time-above'
          ? typeof threshold !== 'number' || !Number.isFinite(threshold)
          : threshold !== undefined
      )
        return fail(
          'RULE_INVALID',
          `${at}/threshold`,
          aggregate === 'time-above' ? 'must be a number for time-above' : 'is only for time-above',
        );
      let ownWindowMs = windowMs ?? NaN;
      if (item.window !== undefined) {
        const ms = typeof item.window === 'string' ? parseDuration(item.window) : undefined;
        if (ms === undefined) return fail('RULE_INVALID', `${at}/window`, 'must be a duration like 30m or 2h');
        if (PERCENTILES[aggregate as Aggregate] !== undefined)
          return fail('RULE_INVALID', `${at}/window`, 'is not available for percentile aggregates');
        if (windowMs !== undefined && ms < windowMs)
          return fail('RULE_INVALID', `${at}/window`, "must be at least the set's window");
        if (hopMs !== undefined && hopMs > 0) {
          if (ms % hopMs !== 0 || ms < hopMs)
            return fail('RULE_INVALID', `${at}/window`, "must be whole hops of the set's hop");
          if (ms / hopMs > FEATURE_SET_LIMITS.maxFeatureWindowHops)
            return fail(
              'RULE_INVALID',
              `${at}/window`,
              `must be at most ${FEATURE_SET_LIMITS.maxFeatureWindowHops} hops`,
            );
        }
        if (ms > FEATURE_SET_LIMITS.maxWindowMs) return fail('RULE_INVALID', `${at}/window`, 'must be at most 24h');
        ownWindowMs = ms;
      }
      if (typeof expression !== 'string' || expression.trim() === '')
        return fail('RULE_INVALID', `${at}/expression`, 'must be an expression');
      try {
        features.push({
          name,
          expr: parseExpression(expression),
          source: expression,
          aggregate: aggregate as Aggregate,
          threshold: typeof threshold === 'number' ? threshold : NaN,
          unit: typeof item.unit === 'string' ? item.unit : '',
          windowMs: ownWindowMs,
          path: `${at}/expression`,
        });
      } catch (error) {
        if (!(error instanceof RuleExpressionError)) throw error;
        problems.push({
          severity: 'error',
          code: error.code as RuleProblemCode,
          message: error.bareMessage,
          path: `${at}/expression`,
          position: error.position,
          ...(setId === undefined ? {} : { ruleId: setId }),
        });
      }
      return undefined;
    });
  }
  if (problems.length > 0 || windowMs === undefined || hopMs === undefined || latenessMs === undefined)
    return { ok: false, problems };
  const definition = input as unknown as FeatureSetDefinition;
  return {
    ok: true,
    problems,
    set: {
      id: setId!,
      version: version ?? (fileVersion as number | undefined) ?? 1,
      models: models as string[],
      windowMs,
      hopMs,
      allowedLatenessMs: latenessMs,
      features,
      definition,
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
