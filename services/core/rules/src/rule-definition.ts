/**
 * A rule as people write it (JSON, stored in PostgreSQL, shipped in rules/examples/) and its validation. Strict when
 * loading: an unknown field, a bad duration or an expression that does not parse is an error naming the JSON path
 * and, inside an expression, the line and column. Type-checking against a vehicle model happens in compile-rules.ts.
 */
import { parseDuration } from './duration.js';
import { RuleExpressionError, type RuleProblem, type RuleProblemCode } from './problems.js';
import { isSeverity, SEVERITIES, severityRank, type Severity } from './severity.js';
import type { Expr } from './expression/ast.js';
import { parseExpression } from './expression/parser.js';

export interface RuleScope {
  readonly fleets?: readonly string[];
  readonly models?: readonly string[];
  readonly vins?: readonly string[];
}

export interface LadderStep {
  readonly level: Severity;
  /** Optional on the first (lowest) step: it is where an alert starts when no higher step holds. */
  readonly when?: string;
  /** How long `when` must hold before the alert escalates to this level. */
  readonly for?: string;
}

export interface RuleDefinition {
  readonly id: string;
  readonly version: number;
  readonly name?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly enabled?: boolean;
  readonly scope?: RuleScope;
  readonly condition?: string;
  readonly sequence?: { readonly first: string; readonly then: string; readonly within: string };
  readonly for?: string;
  readonly severity?: Severity;
  readonly ladder?: readonly LadderStep[];
  readonly clear?: { readonly condition?: string; readonly for?: string };
  readonly reraiseAfter?: string;
  readonly message?: string;
  readonly backfill?: 'ignore' | 'evaluate';
}

export interface ParsedExpression {
  readonly expr: Expr;
  readonly source: string;
  /** JSON pointer of the field. */
  readonly path: string;
}

/** What starts an alert, over expressions `E` (parsed here, compiled in compile-rules.ts). */
export type Trigger<E> =
  | { readonly kind: 'condition'; readonly condition: E }
  | { readonly kind: 'sequence'; readonly first: E; readonly then: E; readonly withinMs: number }
  /** No condition written: the rule holds while any ladder step's `when` holds. */
  | { readonly kind: 'any-step' };

/** One step of the severity ladder, over expressions `E`. */
export interface Step<E> {
  readonly level: Severity;
  /** undefined on a first step without `when`: it holds whenever the alert is active. */
  readonly when: E | undefined;
  readonly forMs: number;
}

export type ParsedTrigger = Trigger<ParsedExpression>;
export type ParsedStep = Step<ParsedExpression>;

export interface ParsedRule {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly enabled: boolean;
  readonly scope: {
    readonly fleets?: ReadonlySet<string>;
    readonly models?: ReadonlySet<string>;
    readonly vins?: ReadonlySet<string>;
  };
  readonly trigger: ParsedTrigger;
  readonly forMs: number;
  /** Ascending severity; a rule without a ladder has one step. */
  readonly ladder: readonly ParsedStep[];
  readonly clear: { readonly condition: ParsedExpression | undefined; readonly forMs: number };
  readonly reraiseAfterMs: number;
  readonly message: string;
  readonly backfill: 'ignore' | 'evaluate';
  readonly definition: RuleDefinition;
}

const KEYS = new Set([
  'id',
  'version',
  'name',
  'description',
  'tags',
  'enabled',
  'scope',
  'condition',
  'sequence',
  'for',
  'severity',
  'ladder',
  'clear',
  'reraiseAfter',
  'message',
  'backfill',
]);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Bounds of every string and list in a definition: what the rule compiler, the API and the store may be handed is
 * limited before anything costly runs (a 1 MiB message once took an hour to compile).
 */
export const RULE_LIMITS = Object.freeze({
  /** Characters of one expression (condition, when, clear condition, sequence first/then). */
  expressionLength: 10_000,
  /** Characters of the message template (its placeholders: MAX_PLACEHOLDERS in template.ts). */
  messageLength: 2_000,
  nameLength: 200,
  descriptionLength: 4_000,
  tags: 32,
  tagLength: 64,
  /** Entries of each of scope.fleets, scope.models, scope.vins. */
  scopeEntries: 1_000,
  scopeEntryLength: 128,
  durationLength: 32,
  /** Unknown fields reported one by one; the rest are counted. */
  unknownFieldsShown: 5,
});

/** A JSON pointer token (RFC 6901), cut short: an unknown field's name is the caller's text, of any length. */
const pointerToken = (key: string): string =>
  (key.length > 64 ? `${key.slice(0, 64)}…` : key).replace(/~/g, '~0').replace(/\//g, '~1');

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: RuleProblem[] = [];
  constructor(private readonly ruleId: string | undefined) {}

  fail(path: string, message: string): undefined {
    this.problems.push({
      severity: 'error',
      code: 'RULE_INVALID',
      message: `${path} ${message}`,
      path,
      ...(this.ruleId === undefined ? {} : { ruleId: this.ruleId }),
    });
    return undefined;
  }

  keys(value: Record<string, unknown>, path: string, allowed: ReadonlySet<string>): void {
    const unknown = Object.keys(value).filter((key) => !allowed.has(key));
    for (const key of unknown.slice(0, RULE_LIMITS.unknownFieldsShown))
      this.fail(`${path}/${pointerToken(key)}`, `is not a rule field; expected one of ${[...allowed].join(', ')}`);
    const more = unknown.length - RULE_LIMITS.unknownFieldsShown;
    if (more > 0) this.fail(path === '' ? '/' : path, `has ${more} more fields that are not rule fields`);
  }

  string(value: unknown, path: string, maxLength: number): string | undefined {
    if (typeof value !== 'string') return this.fail(path, 'must be a string');
    return value.length > maxLength ? this.fail(path, `is longer than ${maxLength} characters`) : value;
  }

  duration(value: unknown, path: string): number | undefined {
    if (value === undefined) return 0;
    const ms =
      typeof value === 'string' && value.length <= RULE_LIMITS.durationLength ? parseDuration(value.trim()) : undefined;
    const shown = typeof value === 'string' && value.length > 40 ? `"${value.slice(0, 40)}…"` : JSON.stringify(value);
    return ms === undefined
      ? this.fail(path, `must be a duration like "500ms", "30s", "5m", "1h" or "1m30s", not ${shown}`)
      : ms;
  }

  strings(value: unknown, path: string, maxItems: number, maxLength: number): readonly string[] | undefined {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === ''))
      return this.fail(path, 'must be a list of non-empty strings');
    if (value.length > maxItems) return this.fail(path, `has more than ${maxItems} entries`);
    const long = (value as string[]).findIndex((v) => v.length > maxLength);
    if (long >= 0) return this.fail(`${path}/${long}`, `is longer than ${maxLength} characters`);
    return value as string[];
  }

  expression(value: unknown, path: string): ParsedExpression | undefined {
    const source = this.string(value, path, RULE_LIMITS.expressionLength);
    if (source === undefined) return undefined;
    try {
      return { expr: parseExpression(source), source, path };
    } catch (error) {
      if (!(error instanceof RuleExpressionError)) throw error;
      this.problems.push({
        severity: 'error',
        code: error.code as RuleProblemCode,
        message: error.bareMessage,
        path,
        position: error.position,
        ...(this.ruleId === undefined ? {} : { ruleId: this.ruleId }),
      });
      return undefined;
    }
  }
}

/** Validates a rule definition and parses its expressions. `rule` is undefined when there is any error. */
export function parseRuleDefinition(input: unknown): {
  readonly rule: ParsedRule | undefined;
  readonly problems: readonly RuleProblem[];
} {
  if (!isObject(input)) {
    return {
      rule: undefined,
      problems: [{ severity: 'error', code: 'RULE_INVALID', message: 'a rule must be a JSON object', path: '' }],
    };
  }
  const id = typeof input.id === 'string' && ID_PATTERN.test(input.id) ? input.id : undefined;
  const c = new Checker(id);
  if (id === undefined)
    c.fail('/id', 'must be a string of letters, digits and . _ : - (at most 128, starting with a letter or digit)');
  c.keys(input, '', KEYS);

  const version = input.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > 0xffffffff)
    c.fail('/version', 'must be a whole number from 1');
  const name = input.name === undefined ? id : c.string(input.name, '/name', RULE_LIMITS.nameLength);
  if (input.description !== undefined) c.string(input.description, '/description', RULE_LIMITS.descriptionLength);
  if (input.tags !== undefined) c.strings(input.tags, '/tags', RULE_LIMITS.tags, RULE_LIMITS.tagLength);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') c.fail('/enabled', 'must be true or false');

  const scope: { fleets?: ReadonlySet<string>; models?: ReadonlySet<string>; vins?: ReadonlySet<string> } = {};
  if (input.scope !== undefined) {
    if (!isObject(input.scope)) c.fail('/scope', 'must be an object with fleets, models and/or vins');
    else {
      c.keys(input.scope, '/scope', new Set(['fleets', 'models', 'vins']));
      for (const key of ['fleets', 'models', 'vins'] as const) {
        if (input.scope[key] === undefined) continue;
        const list = c.strings(
          input.scope[key],
          `/scope/${key}`,
          RULE_LIMITS.scopeEntries,
          RULE_LIMITS.scopeEntryLength,
        );
        if (list !== undefined && list.length > 0) scope[key] = new Set(list);
      }
    }
  }

  // Ladder or severity.
  const ladder: ParsedStep[] = [];
  if (input.ladder !== undefined && input.severity !== undefined)
    c.fail('/severity', 'and /ladder exclude each other: a ladder names its own levels');
  if (input.ladder !== undefined) {
    if (!Array.isArray(input.ladder) || input.ladder.length === 0 || input.ladder.length > SEVERITIES.length) {
      c.fail('/ladder', `must be a list of 1 to ${SEVERITIES.length} steps { level, when, for }`);
    } else {
      input.ladder.forEach((step: unknown, i) => {
        const path = `/ladder/${i}`;
        if (!isObject(step)) return c.fail(path, 'must be an object { level, when, for }');
        c.keys(step, path, new Set(['level', 'when', 'for']));
        if (!isSeverity(step.level)) return c.fail(`${path}/level`, `must be one of ${SEVERITIES.join(', ')}`);
        const previous = ladder[ladder.length - 1];
        if (previous !== undefined && severityRank(step.level) <= severityRank(previous.level))
          c.fail(
            `${path}/level`,
            `must be more severe than the step before (${previous.level}): list steps from least to most severe`,
          );
        if (step.when === undefined && i > 0) c.fail(`${path}/when`, 'is required on every step above the first');
        if (step.for !== undefined && i === 0)
          c.fail(`${path}/for`, 'does not apply to the first step, where an alert starts: use the rule\'s "for"');
        const when = step.when === undefined ? undefined : c.expression(step.when, `${path}/when`);
        ladder.push({ level: step.level, when, forMs: c.duration(step.for, `${path}/for`) ?? 0 });
        return undefined;
      });
    }
  } else {
    const severity = input.severity ?? 'warning';
    if (!isSeverity(severity)) c.fail('/severity', `must be one of ${SEVERITIES.join(', ')}`);
    else ladder.push({ level: severity, when: undefined, forMs: 0 });
  }

  // Trigger: condition, sequence, or the ladder's steps.
  let trigger: ParsedTrigger | undefined;
  if (input.condition !== undefined && input.sequence !== undefined)
    c.fail('/sequence', 'and /condition exclude each other');
  else if (input.condition !== undefined) {
    const condition = c.expression(input.condition, '/condition');
    if (condition !== undefined) trigger = { kind: 'condition', condition };
  } else if (input.sequence !== undefined) {
    const seq = input.sequence;
    if (!isObject(seq)) c.fail('/sequence', 'must be an object { first, then, within }');
    else {
      c.keys(seq, '/sequence', new Set(['first', 'then', 'within']));
      const first = c.expression(seq.first, '/sequence/first');
      const then = c.expression(seq.then, '/sequence/then');
      const withinMs =
        seq.within === undefined
          ? c.fail('/sequence/within', 'is required: how soon "then" must follow "first"')
          : c.duration(seq.within, '/sequence/within');
      if (withinMs === 0) c.fail('/sequence/within', 'must be more than 0');
      if (first !== undefined && then !== undefined && withinMs !== undefined)
        trigger = { kind: 'sequence', first, then, withinMs };
    }
  } else if (input.ladder !== undefined) {
    if (
      Array.isArray(input.ladder) &&
      input.ladder.some((step: unknown) => isObject(step) && step.when === undefined)
    ) {
      c.fail(
        '/condition',
        'is required when a ladder step has no "when" ' +
          '(without a condition, the rule holds while any step\'s "when" holds)',
      );
    }
    trigger = { kind: 'any-step' };
  } else c.fail('/condition', 'is required (or a sequence, or a ladder whose steps all have "when")');

  const forMs = c.duration(input.for, '/for');
  let clear: ParsedRule['clear'] | undefined = { condition: undefined, forMs: 0 };
  if (input.clear !== undefined) {
    if (!isObject(input.clear)) clear = c.fail('/clear', 'must be an object { condition, for }');
    else {
      c.keys(input.clear, '/clear', new Set(['condition', 'for']));
      const condition =
        input.clear.condition === undefined ? undefined : c.expression(input.clear.condition, '/clear/condition');
      clear = { condition, forMs: c.duration(input.clear.for, '/clear/for') ?? 0 };
    }
  }
  const reraiseAfterMs = c.duration(input.reraiseAfter, '/reraiseAfter');
  const message = input.message === undefined ? name : c.string(input.message, '/message', RULE_LIMITS.messageLength);
  const backfill = input.backfill ?? 'ignore';
  if (backfill !== 'ignore' && backfill !== 'evaluate')
    c.fail('/backfill', 'must be "ignore" (the default) or "evaluate"');

  if (
    c.problems.length > 0 ||
    id === undefined ||
    trigger === undefined ||
    forMs === undefined ||
    clear === undefined ||
    reraiseAfterMs === undefined ||
    message === undefined ||
    name === undefined
  ) {
    return { rule: undefined, problems: c.problems };
  }
  return {
    rule: {
      id,
      version: version as number,
      name,
      enabled: input.enabled !== false,
      scope,
      trigger,
      forMs,
      ladder,
      clear,
      reraiseAfterMs,
      message,
      backfill: backfill as 'ignore' | 'evaluate',
      definition: input as unknown as RuleDefinition,
    },
    problems: [],
  };
}
