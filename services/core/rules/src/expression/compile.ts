/**
 * Type-checks an expression against one vehicle model's catalog and compiles it to closures. Nothing the user wrote
 * is ever evaluated as code: names become signal ids, operators become small functions, label strings become raw
 * values, all here, once, when a rule loads.
 *
 * Values at run time are numbers. Booleans are 1 (true) and 0 (false); NaN is "unknown" — a signal with no sample
 * yet, an empty window, a division by zero — and propagates: arithmetic and comparisons on unknown are unknown,
 * `and`/`or` follow three-valued logic (false and unknown = false, true or unknown = true). A condition is met only
 * when it is true, so unknown never raises and never clears an alert.
 */
import { DURATION_UNITS_MS, formatDuration } from '../duration.js';
import { RuleExpressionError, type RuleProblemCode, type SourcePosition } from '../problems.js';
import { lookupSignal, nearest, type RuleCatalog, type RuleCatalogSignal } from '../catalog-view.js';
import type { EvalContext, WindowFunction } from '../signal-state.js';
import type { Expr } from './ast.js';

export type Fn = (c: EvalContext) => number;
export type ValueType = 'number' | 'boolean';

/** One piece of evidence an expression can explain itself with: a signal's value, or a window over it. */
export interface Probe {
  /** Identical probes in one rule share a key and appear once in the evidence. */
  readonly key: string;
  /** As the rule wrote it: `cellVoltageMax`, `avg(packCurrent, 30s)`. */
  readonly label: string;
  readonly qualifiedName: string;
  readonly unit: string;
  read(c: EvalContext): { value: number | null; eventTimeMs: number | null };
}

export interface CompiledExpression {
  readonly fn: Fn;
  readonly type: ValueType;
  readonly probes: readonly Probe[];
  readonly source: string;
}

/** What a rule's expressions read, collected across all of them. */
export class SignalUses {
  /** Every signal id read: a new sample of one of them makes the rule evaluate. */
  readonly deps = new Set<number>();
  /** Signal id → the longest window any expression reads it over. */
  readonly windows = new Map<number, number>();
  /** stale(signal, duration) uses: each one is a timer. */
  readonly stale: { readonly id: number; readonly ms: number }[] = [];
  /** Every signal read, including those only a message template shows (they are kept, but do not trigger). */
  readonly signals = new Map<number, RuleCatalogSignal>();
  /** false while compiling a message template. */
  triggers = true;

  use(signal: RuleCatalogSignal): void {
    if (this.triggers) this.deps.add(signal.id);
    this.signals.set(signal.id, signal);
  }
}

export const WINDOW_FUNCTIONS: readonly WindowFunction[] = ['avg', 'min', 'max', 'count', 'delta', 'rate'];
const FUNCTIONS = ['abs', 'min', 'max', 'avg', 'count', 'delta', 'rate', 'stale'];
const MAX_WINDOW_MS = DURATION_UNITS_MS.d!;
const RELATIVE_EPSILON = 1e-9;

const equal = (a: number, b: number): boolean =>
  a === b || Math.abs(a - b) <= RELATIVE_EPSILON * Math.max(Math.abs(a), Math.abs(b));
const truth = (x: boolean): number => (x ? 1 : 0);

interface Typed {
  readonly fn: Fn;
  readonly type: ValueType;
}

/** Unknown names of one rule that get a "did you mean" (each suggestion scans the catalog's names). */
const MAX_SUGGESTIONS = 16;

export class ExpressionCompiler {
  readonly errors: RuleExpressionError[] = [];
  private probes = new Map<string, Probe>();
  private suggestionsLeft = MAX_SUGGESTIONS;

  constructor(
    private readonly catalog: RuleCatalog,
    readonly uses: SignalUses,
  ) {}

  /** Compiles one parsed expression; `expected` checks the result type. undefined when it has errors (see `errors`). */
  compile(
    expr: Expr,
    source: string,
    expected: ValueType | undefined,
    what = 'the condition',
  ): CompiledExpression | undefined {
    this.probes = new Map();
    const before = this.errors.length;
    const typed = this.node(expr);
    if (typed === undefined || this.errors.length > before) return undefined;
    if (expected !== undefined && typed.type !== expected) {
      this.error(
        'RULE_TYPE',
        expected === 'boolean'
          ? `${what} is a number, but must be true or false: compare it (e.g. "${source.trim()} > 0")`
          : `${what} is true/false, but must be a number`,
        expr.position,
      );
      return undefined;
    }
    return { fn: typed.fn, type: typed.type, probes: [...this.probes.values()], source };
  }

  private error(code: RuleProblemCode, message: string, position: SourcePosition, suggestion?: string): undefined {
    this.errors.push(new RuleExpressionError(code, message, position, suggestion));
    return undefined;
  }

  private node(e: Expr): Typed | undefined {
    switch (e.kind) {
      case 'number': {
        const v = e.value;
        return { fn: () => v, type: 'number' };
      }
      case 'bool': {
        const v = truth(e.value);
        return { fn: () => v, type: 'boolean' };
      }
      case 'duration':
        return this.error(
          'RULE_TYPE',
          `a duration (${e.text}) is only allowed as the time argument of a window function or stale()`,
          e.position,
        );
      case 'string':
        return this.error(
          'RULE_TYPE',
          `a string (${JSON.stringify(e.value)}) is only allowed in == or != with a signal that has value labels`,
          e.position,
        );
      case 'signal':
        return this.signalValue(e);
      case 'unary':
        return this.unary(e.op, e.operand, e.position);
      case 'binary':
        return this.binary(e);
      case 'call':
        return this.call(e);
    }
  }

  private resolve(e: Extract<Expr, { kind: 'signal' }>): RuleCatalogSignal | undefined {
    const found = lookupSignal(this.catalog, e.name, this.suggestionsLeft > 0);
    switch (found.kind) {
      case 'found':
        this.uses.use(found.signal);
        return found.signal;
      case 'ambiguous': {
        const shown = found.candidates
          .slice(0, 6)
          .map((q) => `\`${q}\``)
          .join(', ');
        return this.error(
          'RULE_AMBIGUOUS_SIGNAL',
          `signal name "${e.name}" is used by ${found.candidates.length} messages; ` +
            `write the qualified name in backticks: ${shown}${found.candidates.length > 6 ? ', …' : ''}`,
          e.position,
          found.candidates[0],
        );
      }
      case 'unknown': {
        this.suggestionsLeft--;
        const hint = found.suggestion === undefined ? '' : ` (did you mean ${found.suggestion}?)`;
        return this.error(
          'RULE_UNKNOWN_SIGNAL',
          `unknown signal "${e.name}" in model ${this.catalog.modelId}${hint}`,
          e.position,
          found.suggestion,
        );
      }
    }
  }

  private addProbe(probe: Probe): void {
    if (!this.probes.has(probe.key)) this.probes.set(probe.key, probe);
  }

  private valueProbe(signal: RuleCatalogSignal, label: string): Probe {
    const id = signal.id;
    return {
      key: `v:${id}`,
      label,
      qualifiedName: signal.qualifiedName,
      unit: signal.unit,
      read: (c) => {
        const newest = c.signals.newest(id);
        return newest === undefined
          ? { value: null, eventTimeMs: null }
          : { value: newest.value, eventTimeMs: newest.timeMs };
      },
    };
  }

  private signalValue(e: Extract<Expr, { kind: 'signal' }>): Typed | undefined {
    const signal = this.resolve(e);
    if (signal === undefined) return undefined;
    this.addProbe(this.valueProbe(signal, e.name));
    const id = signal.id;
    return { fn: (c) => c.signals.value(id), type: 'number' };
  }

  private unary(op: '-' | 'not', operand: Expr, position: SourcePosition): Typed | undefined {
    const inner = this.node(operand);
    if (inner === undefined) return undefined;
    const f = inner.fn;
    if (op === '-') {
      if (inner.type !== 'number')
        return this.error('RULE_TYPE', 'unary minus needs a number, not true/false', position);
      return { fn: (c) => -f(c), type: 'number' };
    }
    if (inner.type !== 'boolean')
      return this.error(
        'RULE_TYPE',
        'not needs true/false, but this is a number: compare it first (e.g. "not (x > 0)")',
        operand.position,
      );
    return { fn: (c) => 1 - f(c), type: 'boolean' };
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>): Typed | undefined {
    if ((e.op === '==' || e.op === '!=') && (e.left.kind === 'string' || e.right.kind === 'string'))
      return this.labelComparison(e);
    const left = this.node(e.left);
    const right = this.node(e.right);
    if (left === undefined || right === undefined) return undefined;
    const l = left.fn;
    const r = right.fn;
    switch (e.op) {
      case 'and':
      case 'or': {
        for (const [side, t] of [
          [e.left, left],
          [e.right, right],
        ] as const) {
          if (t.type !== 'boolean')
            return this.error(
              'RULE_TYPE',
              `${e.op} needs true/false on both sides, but this is a number: compare it (e.g. "x == 1")`,
              side.position,
            );
        }
        return e.op === 'and'
          ? {
              fn: (c) => {
                const a = l(c);
                if (a === 0) return 0;
                const b = r(c);
                return b === 0 ? 0 : a !== a || b !== b ? NaN : 1;
              },
              type: 'boolean',
            }
          : {
              fn: (c) => {
                const a = l(c);
                if (a === 1) return 1;
                const b = r(c);
                return b === 1 ? 1 : a !== a || b !== b ? NaN : 0;
              },
              type: 'boolean',
            };
      }
      case '==':
      case '!=': {
        if (left.type !== right.type)
          return this.error('RULE_TYPE', `${e.op} compares a number with true/false`, e.position);
        const same = e.op === '==';
        return {
          fn: (c) => {
            const a = l(c);
            const b = r(c);
            return a !== a || b !== b ? NaN : truth(equal(a, b) === same);
          },
          type: 'boolean',
        };
      }
      default:
        break;
    }
    for (const [side, t] of [
      [e.left, left],
      [e.right, right],
    ] as const) {
      if (t.type !== 'number')
        return this.error('RULE_TYPE', `${e.op} needs numbers, but this is true/false`, side.position);
    }
    switch (e.op) {
      case '<':
        return {
          fn: (c) => {
            const a = l(c);
            const b = r(c);
            return a !== a || b !== b ? NaN : truth(a < b);
          },
          type: 'boolean',
        };
      case '<=':
        return {
          fn: (c) => {
            const a = l(c);
            const b = r(c);
            return a !== a || b !== b ? NaN : truth(a <= b);
          },
          type: 'boolean',
        };
      case '>':
        return {
          fn: (c) => {
            const a = l(c);
            const b = r(c);
            return a !== a || b !== b ? NaN : truth(a > b);
          },
          type: 'boolean',
        };
      case '>=':
        return {
          fn: (c) => {
            const a = l(c);
            const b = r(c);
            return a !== a || b !== b ? NaN : truth(a >= b);
          },
          type: 'boolean',
        };
      case '+':
        return { fn: (c) => l(c) + r(c), type: 'number' };
      case '-':
        return { fn: (c) => l(c) - r(c), type: 'number' };
      case '*':
        return { fn: (c) => l(c) * r(c), type: 'number' };
      case '/':
        return {
          fn: (c) => {
            const b = r(c);
            return b === 0 ? NaN : l(c) / b;
          },
          type: 'number',
        };
      case '%':
        return {
          fn: (c) => {
            const b = r(c);
            return b === 0 ? NaN : l(c) % b;
          },
          type: 'number',
        };
    }
  }

  /** `gear == "R"`: the label becomes the raw value of the signal's VAL_ table, per model. */
  private labelComparison(e: Extract<Expr, { kind: 'binary' }>): Typed | undefined {
    const [signalSide, labelSide] = e.left.kind === 'string' ? [e.right, e.left] : [e.left, e.right];
    if (labelSide.kind !== 'string') return undefined;
    if (signalSide.kind !== 'signal') {
      return this.error(
        'RULE_TYPE',
        `a label (${JSON.stringify(labelSide.value)}) compares only with a signal name, e.g. gear == "R"`,
        signalSide.position,
      );
    }
    const signal = this.resolve(signalSide);
    if (signal === undefined) return undefined;
    if (signal.choices.size === 0)
      return this.error(
        'RULE_TYPE',
        `${signalSide.name} has no value labels; compare it with a number`,
        labelSide.position,
      );
    const entries = [...signal.choices];
    const exact = entries.filter(([, label]) => label === labelSide.value);
    const folded =
      exact.length > 0 ? exact : entries.filter(([, label]) => label.toLowerCase() === labelSide.value.toLowerCase());
    if (folded.length === 0) {
      const labels = entries.map(([, label]) => label);
      const suggestion = nearest(labelSide.value, labels);
      return this.error(
        'RULE_UNKNOWN_LABEL',
        `${signalSide.name} has no label "${labelSide.value}"` +
          `${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; ` +
          `its labels: ${labels.slice(0, 16).join(', ')}${labels.length > 16 ? ', …' : ''}`,
        labelSide.position,
        suggestion,
      );
    }
    this.addProbe(this.valueProbe(signal, signalSide.name));
    const raws = folded.map(([raw]) => Number(raw));
    const id = signal.id;
    const same = e.op === '==';
    return {
      fn: (c) => {
        const v = c.signals.value(id);
        return v !== v ? NaN : truth(raws.includes(v) === same);
      },
      type: 'boolean',
    };
  }

  private call(e: Extract<Expr, { kind: 'call' }>): Typed | undefined {
    const { name, args } = e;
    const isWindow =
      (WINDOW_FUNCTIONS as readonly string[]).includes(name) &&
      (!(name === 'min' || name === 'max') || (args.length === 2 && args[1]!.kind === 'duration'));
    if (isWindow) return this.windowCall(e, name as WindowFunction);
    if (name === 'stale') return this.staleCall(e);
    if (name === 'abs' || name === 'min' || name === 'max') {
      if (name === 'abs' ? args.length !== 1 : args.length < 2) {
        return this.error(
          'RULE_TYPE',
          name === 'abs'
            ? 'abs() takes one number'
            : `${name}() takes two or more numbers, or a signal and a duration (${name}(x, 30s))`,
          e.position,
        );
      }
      const typed = args.map((a) => this.node(a));
      if (typed.some((t) => t === undefined)) return undefined;
      for (const [i, t] of typed.entries()) {
        if (t!.type !== 'number')
          return this.error('RULE_TYPE', `${name}() needs numbers, but this is true/false`, args[i]!.position);
      }
      const fns = typed.map((t) => t!.fn);
      if (name === 'abs') {
        const f = fns[0]!;
        return { fn: (c) => Math.abs(f(c)), type: 'number' };
      }
      // Pairwise, without an array per evaluation (features evaluate this per sample); Math.min/max are associative,
      // NaN and ±0 included, so this equals pick(...all).
      const pick = name === 'min' ? Math.min : Math.max;
      const [first, second, ...rest] = fns as [Fn, Fn, ...Fn[]];
      if (rest.length === 0) return { fn: (c) => pick(first(c), second(c)), type: 'number' };
      return {
        fn: (c) => {
          let r = pick(first(c), second(c));
          for (let i = 0; i < rest.length; i++) r = pick(r, rest[i]!(c));
          return r;
        },
        type: 'number',
      };
    }
    const suggestion = nearest(name, FUNCTIONS);
    return this.error(
      'RULE_UNKNOWN_FUNCTION',
      `unknown function ${name}()${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}; ` +
        `functions: ${FUNCTIONS.join(', ')}`,
      e.position,
      suggestion,
    );
  }

  private signalArgument(e: Extract<Expr, { kind: 'call' }>): RuleCatalogSignal | undefined {
    const first = e.args[0];
    if (first === undefined || first.kind !== 'signal') {
      return this.error(
        'RULE_TYPE',
        `the first argument of ${e.name}() must be a signal name`,
        first?.position ?? e.position,
      );
    }
    return this.resolve(first);
  }

  private durationArgument(e: Extract<Expr, { kind: 'call' }>, index: number): number | undefined {
    const arg = e.args[index];
    if (arg === undefined || arg.kind !== 'duration') {
      return this.error(
        'RULE_TYPE',
        `the ${index === 1 ? 'second' : 'next'} argument of ${e.name}() must be a duration like 30s`,
        arg?.position ?? e.position,
      );
    }
    if (arg.ms <= 0 || arg.ms > MAX_WINDOW_MS)
      return this.error(
        'RULE_TYPE',
        `${e.name}() duration must be more than 0 and at most ${formatDuration(MAX_WINDOW_MS)}`,
        arg.position,
      );
    return arg.ms;
  }

  private windowCall(e: Extract<Expr, { kind: 'call' }>, fn: WindowFunction): Typed | undefined {
    if (e.args.length !== 2)
      return this.error('RULE_TYPE', `${fn}() takes a signal and a duration: ${fn}(signal, 30s)`, e.position);
    const signal = this.signalArgument(e);
    const ms = this.durationArgument(e, 1);
    if (signal === undefined || ms === undefined) return undefined;
    const id = signal.id;
    this.uses.windows.set(id, Math.max(ms, this.uses.windows.get(id) ?? 0));
    const durationText = (e.args[1] as Extract<Expr, { kind: 'duration' }>).text;
    const signalName = (e.args[0] as Extract<Expr, { kind: 'signal' }>).name;
    const evaluate: Fn = (c) => c.signals.aggregate(id, fn, ms, c.nowMs);
    this.addProbe({
      key: `w:${fn}:${id}:${ms}`,
      label: `${fn}(${signalName}, ${durationText})`,
      qualifiedName: signal.qualifiedName,
      unit: fn === 'count' ? '' : fn === 'rate' ? `${signal.unit}/s` : signal.unit,
      read: (c) => {
        const value = evaluate(c);
        return { value: Number.isNaN(value) ? null : value, eventTimeMs: c.nowMs };
      },
    });
    return { fn: evaluate, type: 'number' };
  }

  private staleCall(e: Extract<Expr, { kind: 'call' }>): Typed | undefined {
    if (e.args.length < 1 || e.args.length > 2)
      return this.error(
        'RULE_TYPE',
        'stale() takes a signal and optionally a duration: stale(signal) or stale(signal, 10s)',
        e.position,
      );
    const signal = this.signalArgument(e);
    if (signal === undefined) return undefined;
    let ms: number | undefined;
    if (e.args.length === 2) ms = this.durationArgument(e, 1);
    else if (signal.staleAfterMs === undefined || signal.staleAfterMs <= 0) {
      return this.error(
        'RULE_TYPE',
        `${signal.qualifiedName} is event-driven and never stale by the catalog; ` +
          `give a duration: stale(${(e.args[0] as Extract<Expr, { kind: 'signal' }>).name}, 10s)`,
        e.position,
      );
    } else ms = signal.staleAfterMs;
    if (ms === undefined) return undefined;
    const id = signal.id;
    const after = ms;
    if (this.uses.triggers) this.uses.stale.push({ id, ms: after });
    this.addProbe(this.valueProbe(signal, (e.args[0] as Extract<Expr, { kind: 'signal' }>).name));
    return {
      fn: (c) => {
        const last = c.signals.lastUpdateMs(id);
        return last !== last ? NaN : truth(c.nowMs - last >= after);
      },
      type: 'boolean',
    };
  }
}
