// Message templates are user text with `{{ expression | format }}` placeholders. For any template the compiler
// returns a renderer or RULE_* errors positioned inside the template — never an exception — and it stops at
// MAX_PLACEHOLDERS, so even a template of 10,000 placeholders (past the definition's length limit, straight into
// compileTemplate) costs one pass over the text. What compiles renders without throwing, within the message cap.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fuzzRuns } from '@telltale/platform/testing';
import { ExpressionCompiler, SignalUses } from './expression/compile.js';
import { VehicleSignals } from './signal-state.js';
import { compileTemplate, MAX_PLACEHOLDERS, type CompiledTemplate } from './template.js';
import { signalId, testCatalog } from './test-support.js';

/** `npm run fuzz` asks for up to 100,000 cases per property: allow 20 ms each. */
const TIMEOUT_MS = Math.max(60_000, fuzzRuns(0) * 20);

const catalog = testCatalog();
/** Generous: the largest case is about 300 KB of template. */
const CASE_BUDGET_MS = 2_000;
const MAX_MESSAGE_LENGTH = 2_000;

const stats = { cases: 0, compiled: 0, refused: 0, tooMany: 0 };

interface Compiled {
  readonly template: CompiledTemplate | undefined;
  readonly compiler: ExpressionCompiler;
}

function compile(text: string): Compiled {
  stats.cases++;
  const compiler = new ExpressionCompiler(catalog, new SignalUses());
  const start = performance.now();
  const template = compileTemplate(text, compiler, catalog);
  expect(performance.now() - start).toBeLessThan(CASE_BUDGET_MS);
  if (template === undefined) {
    stats.refused++;
    expect(compiler.errors.length).toBeGreaterThan(0);
    for (const e of compiler.errors) {
      expect(e.code).toMatch(/^RULE_[A-Z_]+$/);
      expect(e.position.offset).toBeGreaterThanOrEqual(0);
      expect(e.position.offset).toBeLessThanOrEqual(text.length);
      expect(e.position.line).toBeGreaterThanOrEqual(1);
      expect(e.position.column).toBeGreaterThanOrEqual(1);
    }
  } else {
    stats.compiled++;
    expect(compiler.errors).toEqual([]);
  }
  return { template, compiler };
}

/** A vehicle that has sent some of the signals a template may show (the others render "?"). */
function vehicle(): VehicleSignals {
  const signals = new VehicleSignals();
  signals.apply(signalId('vehicleSpeed'), 87.25, 1_000, 0, 100);
  signals.apply(signalId('gear'), 1, 1_000, 0, 100);
  signals.apply(signalId('BMS_DtcCode'), 0x0a7f00, 1_000, 0, 100);
  return signals;
}

const VARIABLES = {
  vin: 'VIN0000000000001',
  fleetId: 'f',
  modelId: 'm',
  ruleId: 'r',
  ruleName: 'n',
  severity: 'major',
};

const EXPRESSIONS = [
  ...['vin', 'fleetId', 'severity', 'vehicleSpeed', 'gear', 'BMS_DtcCode', 'cellVoltageMax - cellVoltageMin'],
  ...['vehicleSpeed > 1 || vehicleSpeed < 0', 'avg(packCurrent, 30s)', 'stale(vehicleSpeed)', 'nosuch', '1 +', ''],
  ...['(((1)))', '"R"', 'gear == "R"', 'abs(', '`bms/BMS_DtcStatus/BMS_DtcCode`', '{', '}', '|', '||'],
];
const FORMATS = ['', ' | fixed(2)', ' | fixed( 1 )', ' | int', ' | hex', ' | dtc', ' | label', ' | nope', ' |'];

const placeholder = fc
  .tuple(fc.constantFrom(...EXPRESSIONS), fc.constantFrom(...FORMATS), fc.constantFrom(' ', '', '\n'))
  .map(([expr, format, pad]) => `{{${pad}${expr}${format}${pad}}}`);
const piece = fc.oneof(
  { weight: 4, arbitrary: placeholder },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('{{', '}}', '{', '}', '\n', '°C', '{{{', '}}}') },
);
const template = fc.oneof(
  fc.array(piece, { maxLength: 30 }).map((parts) => parts.join('')),
  fc.string({ unit: fc.constantFrom(...'{}| vinage()1+"\n'), maxLength: 200 }),
  fc.string({ maxLength: 200 }),
);

describe('compileTemplate (property)', { timeout: TIMEOUT_MS }, () => {
  it('answers any template with a renderer or positioned RULE_* errors; a renderer renders', () => {
    const signals = vehicle();
    fc.assert(
      fc.property(template, (text) => {
        const { template: render } = compile(text);
        if (render === undefined) return;
        const out = render({ nowMs: 1_000, signals }, VARIABLES);
        expect(typeof out).toBe('string');
        expect(out.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
      }),
      { numRuns: fuzzRuns(1500) },
    );
  });

  it('compiles up to MAX_PLACEHOLDERS placeholders and refuses the first one past it, up to 10,000', () => {
    const many = fc.record({
      count: fc.oneof(
        fc.integer({ min: 0, max: MAX_PLACEHOLDERS + 2 }),
        fc.integer({ min: MAX_PLACEHOLDERS + 3, max: 10_000 }),
      ),
      body: fc.constantFrom('{{ vin }}', '{{ vehicleSpeed | fixed(1) }}', '{{ gear | label }}', '{{ 1 + 2 }}'),
      gap: fc.constantFrom('', ' ', ', ', '\n'),
    });
    fc.assert(
      fc.property(many, ({ count, body, gap }) => {
        const unit = body + gap;
        const { template: render, compiler } = compile(unit.repeat(count));
        if (count <= MAX_PLACEHOLDERS) {
          expect(render).toBeDefined();
          return;
        }
        stats.tooMany++;
        expect(render).toBeUndefined();
        expect(compiler.errors.map((e) => e.code)).toEqual(['RULE_TOO_COMPLEX']);
        expect(compiler.errors[0]!.position.offset).toBe(unit.length * MAX_PLACEHOLDERS);
        expect(compiler.errors[0]!.bareMessage).toBe(`a message has at most ${MAX_PLACEHOLDERS} placeholders`);
      }),
      { numRuns: fuzzRuns(200) },
    );
  });

  it('was not vacuous: templates compiled, were refused, and hit the placeholder cap', () => {
    expect(stats.compiled).toBeGreaterThan(stats.cases / 20);
    expect(stats.refused).toBeGreaterThan(stats.cases / 20);
    expect(stats.tooMany).toBeGreaterThan(0);
    console.log(`compileTemplate fuzz: ${JSON.stringify(stats)}`);
  });
});
