/**
 * What is wrong with a rule: a stable code, a sentence, and where — the rule, the JSON path of the field
 * (`/condition`, `/ladder/1/when`), the line and column inside that field's expression, and the vehicle model whose
 * catalog the problem is about (unknown signals and labels differ per model).
 */
import { TelltaleError } from '@telltale/platform/errors';

export type RuleProblemCode =
  | 'RULE_SYNTAX'
  /** Past a bound: expression nesting, placeholders in a message. */
  | 'RULE_TOO_COMPLEX'
  | 'RULE_TYPE'
  | 'RULE_UNKNOWN_SIGNAL'
  | 'RULE_AMBIGUOUS_SIGNAL'
  | 'RULE_UNKNOWN_LABEL'
  | 'RULE_UNKNOWN_FUNCTION'
  | 'RULE_INVALID'
  | 'RULE_DUPLICATE_ID'
  | 'RULE_NOT_APPLICABLE';

export interface SourcePosition {
  /** 0-based offset into the expression text. */
  readonly offset: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units. */
  readonly column: number;
  /** Characters the problem covers, at least 1. */
  readonly length: number;
}

export interface RuleProblem {
  readonly severity: 'error' | 'warning';
  readonly code: RuleProblemCode;
  readonly message: string;
  readonly ruleId?: string;
  /** JSON pointer of the rule field, e.g. `/condition` or `/ladder/1/when`. */
  readonly path?: string;
  readonly position?: SourcePosition;
  /** The model whose catalog the problem concerns. */
  readonly modelId?: string;
  /** A replacement that would fix it: the nearest known signal, label or function name. */
  readonly suggestion?: string;
}

/**
 * `rule cell-imbalance /condition 1:5 [aurora-ev-2026]: error RULE_UNKNOWN_SIGNAL unknown signal …`. A problem without
 * a position names its path at the start of its message (`/for must be a duration …`), so it is not repeated.
 */
export function formatRuleProblem(p: RuleProblem): string {
  const where = [
    p.ruleId === undefined ? undefined : `rule ${p.ruleId}`,
    p.position === undefined ? undefined : p.path,
    p.position === undefined ? undefined : `${p.position.line}:${p.position.column}`,
    p.modelId === undefined ? undefined : `[${p.modelId}]`,
  ].filter((part) => part !== undefined && part !== '');
  return `${where.length > 0 ? `${where.join(' ')}: ` : ''}${p.severity} ${p.code} ${p.message}`;
}

/** An error inside one expression; the caller adds the rule id, field path and model. */
export class RuleExpressionError extends TelltaleError {
  readonly position: SourcePosition;
  readonly suggestion: string | undefined;
  /** The message without its `line:column: ` prefix. */
  readonly bareMessage: string;

  constructor(code: RuleProblemCode, message: string, position: SourcePosition, suggestion?: string) {
    super(code, `${position.line}:${position.column}: ${message}`, {
      details: { ...position, ...(suggestion === undefined ? {} : { suggestion }) },
    });
    this.position = position;
    this.suggestion = suggestion;
    this.bareMessage = message;
  }
}
