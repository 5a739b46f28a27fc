// Request bodies reach the pure checks as whatever JSON a client sent. For random JSON and for mutations of valid
// rule definitions, the rule checks behind /v1/rules (parseRuleDefinition, compileRules, then the API's verdicts,
// problem views, fleet scope and write checks) and the other body checks (key fleets, If-Match) always answer with
// a result or a structured problem list — never an exception.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzRuns } from '@telltale/platform/testing';
import { compileRules, formatRuleProblem, parseRuleDefinition, type RuleProblem } from '@telltale/rules';
import { testCatalog } from '@telltale/rules/testing';
import { fleetScope, keyFleetProblems, ROLES } from './access.js';
import {
  checkRuleWrite,
  describeRuleErrors,
  expectedVersion,
  modelVerdicts,
  ruleFleets,
  ruleProblemView,
  ruleSummary,
} from './rules.js';

/** `npm run fuzz` asks for up to 100,000 cases per property: allow 20 ms each. */
const TIMEOUT_MS = Math.max(60_000, fuzzRuns(0) * 20);

// Two models, the second without the BMS signals, so that some rules apply to one model only.
const full = testCatalog('model-a');
const lean = testCatalog('model-b', [
  ['powertrain/VCU_VehicleStatus/VCU_VehicleSpeed', 'km/h', 'vehicleSpeed', 2000],
  ['powertrain/VCU_VehicleStatus/VCU_GearActual', '', 'gear', 2000, { 0: 'P', 1: 'R', 3: 'D' }],
]);
const catalogs = [full, lean];

const VALID: readonly Record<string, unknown>[] = [
  { id: 'speeding', version: 1, condition: 'vehicleSpeed > 130', for: '10s', severity: 'major' },
  {
    id: 'bms.cell-over-temperature',
    version: 1,
    name: 'Cell over-temperature',
    ladder: [
      { level: 'warning', when: 'cellTemperatureMax > 55' },
      { level: 'critical', when: 'cellTemperatureMax > 60', for: '5s' },
    ],
    clear: { condition: 'cellTemperatureMax < 50', for: '30s' },
    reraiseAfter: '15m',
    message: 'Cell temperature {{ cellTemperatureMax | fixed(1) }} °C on {{ vin }} ({{ severity }})',
    scope: { fleets: ['fleet-a'], models: ['model-a'] },
    tags: ['bms'],
  },
  {
    id: 'reverse-at-speed',
    version: 1,
    sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '1m' },
    backfill: 'evaluate',
    enabled: false,
    message: '{{ gear | label }} at {{ avg(vehicleSpeed, 30s) | int }} km/h',
  },
];

type Path = readonly (string | number)[];

/** Every path into a JSON value, the root included. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add'; readonly key: string; readonly value: unknown }
  | { readonly kind: 'edit'; readonly at: number; readonly offset: number; readonly text: string };

// Edits of the strings (expressions, durations, templates) most often, so that many mutants still parse.
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    key: fc.oneof(fc.constantFrom('condition', 'ladder', 'sequence', 'severity', 'clear', 'for'), fc.string()),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      at: fc.nat(),
      offset: fc.nat(),
      text: fc.oneof(
        fc.constantFrom('(', ')', '{{', '}}', ' and ', '"', '|', '-', '1e999', '5q', ' ', '0', ' + 1', 'not '),
        fc.string({ maxLength: 4 }),
      ),
    }),
  },
);

/** Applies mutations to a deep copy: replace, delete or edit the string at a path, or add a top-level field. */
function mutate(definition: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(definition);
  for (const m of mutations) {
    if (m.kind === 'add') {
      if (typeof root === 'object' && root !== null && !Array.isArray(root))
        (root as Record<string, unknown>)[m.key] = m.value;
      continue;
    }
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) {
      if (m.kind === 'set') root = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
    const container = parent as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (m.kind === 'set') container[key] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(container) && typeof key === 'number') container.splice(key, 1);
      else delete container[key];
    } else {
      const old = container[key];
      if (typeof old !== 'string') continue;
      const at = m.offset % (old.length + 1);
      container[key] = old.slice(0, at) + m.text + old.slice(at);
    }
  }
  return root;
}

const body = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 3 })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => [v] as const) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom(...Object.keys(VALID[1]!), 'condition', 'sequence', 'x'), fc.jsonValue(), {
        maxKeys: 8,
      })
      .map((v) => [v] as const),
  },
);

const stats = { cases: 0, accepted: 0, refused: 0, compiled: 0 };

function expectStructured(problems: readonly RuleProblem[]): void {
  for (const p of problems) {
    expect(['error', 'warning']).toContain(p.severity);
    expect(p.code).toMatch(/^RULE_[A-Z_]+$/);
    expect(typeof p.message).toBe('string');
    if (p.path !== undefined) expect(p.path === '' || p.path.startsWith('/')).toBe(true);
    expect(formatRuleProblem(p)).toContain(p.code);
    expect(ruleProblemView(p)).toMatchObject({ code: p.code, severity: p.severity });
  }
}

/** What POST /v1/rules/validate and the saving routes do with a definition, minus I/O. */
function checkLikeTheApi(definition: unknown): void {
  stats.cases++;
  const parsed = parseRuleDefinition(definition);
  expectStructured(parsed.problems);
  const parseErrors = parsed.problems.filter((p) => p.severity === 'error');
  if (parsed.rule === undefined) {
    stats.refused++;
    expect(parseErrors.length).toBeGreaterThan(0);
  } else {
    stats.accepted++;
    expect(parseErrors).toEqual([]);
  }

  const { problems, ok, snapshot } = compileRules([definition], catalogs);
  expectStructured(problems);
  expect(ok).toBe(!problems.some((p) => p.severity === 'error'));
  if (parsed.rule === undefined) expect(ok).toBe(false);
  if (ok) {
    stats.compiled++;
    expect(snapshot.rules.map((r) => r.id)).toEqual([parsed.rule!.id]);
  } else {
    const errors = problems.filter((p) => p.severity === 'error');
    expect(describeRuleErrors(parsed.rule?.id ?? '(no id)', errors)).toMatch(/^Rule .* has \d+ errors?: /);
  }

  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) return;
  const summary = ruleSummary(definition as Record<string, unknown>);
  const verdicts = modelVerdicts(catalogs, problems, summary.models);
  expect(verdicts.map((v) => v.modelId)).toEqual(['model-a', 'model-b']);
  if (!ok) expect(verdicts.some((v) => v.verdict === 'error' || v.verdict === 'out-of-scope')).toBe(true);
  const fleets = ruleFleets(definition);
  for (const keyFleets of [['*'], ['fleet-a'], []]) {
    const verdict = checkRuleWrite(fleetScope(keyFleets), keyFleets, fleets);
    expect(verdict.ok || verdict.reason.length > 0).toBe(true);
  }
}

describe('rule bodies (property)', { timeout: TIMEOUT_MS }, () => {
  it('answers mutated rules and random JSON with a result or structured RULE_* problems', () => {
    fc.assert(
      fc.property(body, ([input, mutations]) => {
        checkLikeTheApi(mutations === undefined ? input : mutate(input as Record<string, unknown>, mutations));
      }),
      { numRuns: fuzzRuns(600) },
    );
  });

  it('answers any key fleet list with per-entry problems', () => {
    const fleets = fc.array(fc.oneof(fc.constantFrom('*', 'fleet-a', 'fleet-a', 'Fleet A', ''), fc.string()), {
      maxLength: 6,
    });
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), fleets, (role, list) => {
        for (const p of keyFleetProblems(role, list)) {
          expect(p.index).toBeGreaterThanOrEqual(0);
          expect(p.index).toBeLessThan(list.length);
          expect(p.message).not.toBe('');
        }
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('answers any If-Match and expectedVersion with a version or a problem at a request path', () => {
    const header = fc.option(
      fc.oneof(fc.constantFrom('"3"', 'W/"3"', '3', '*', '', ' "12" '), fc.string({ maxLength: 20 })),
      { nil: undefined },
    );
    const version = fc.option(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer()), { nil: undefined });
    fc.assert(
      fc.property(header, version, (ifMatch, bodyVersion) => {
        const result = expectedVersion(ifMatch, bodyVersion);
        if (result.ok) expect(result.version === undefined || Number.isInteger(result.version)).toBe(true);
        else expect(['/headers/if-match', '/body/expectedVersion']).toContain(result.path);
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('was not vacuous: mutated rules were accepted, refused and compiled', () => {
    expect(stats.accepted).toBeGreaterThan(stats.cases / 20);
    expect(stats.refused).toBeGreaterThan(stats.cases / 20);
    expect(stats.compiled).toBeGreaterThan(0);
    console.log(`rule bodies fuzz: ${JSON.stringify(stats)}`);
  });
});
