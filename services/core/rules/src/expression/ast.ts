/** The syntax tree of a rule expression. Plain data: every node carries the position of the text it came from. */
import type { SourcePosition } from '../problems.js';

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly position: SourcePosition }
  | { readonly kind: 'duration'; readonly ms: number; readonly text: string; readonly position: SourcePosition }
  | { readonly kind: 'string'; readonly value: string; readonly position: SourcePosition }
  | { readonly kind: 'bool'; readonly value: boolean; readonly position: SourcePosition }
  /** `quoted`: written in backticks. */
  | { readonly kind: 'signal'; readonly name: string; readonly quoted: boolean; readonly position: SourcePosition }
  | { readonly kind: 'unary'; readonly op: '-' | 'not'; readonly operand: Expr; readonly position: SourcePosition }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOperator;
      readonly left: Expr;
      readonly right: Expr;
      readonly position: SourcePosition;
    }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly position: SourcePosition };

export const COMPARISONS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** The expression as canonical text: used for evidence labels (`avg(packCurrent, 30s)`) and in tests. */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'duration':
      return e.text;
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'signal':
      return e.quoted || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.name) ? `\`${e.name}\`` : e.name;
    case 'unary':
      return e.op === 'not' ? `not ${printExpr(e.operand)}` : `-${printExpr(e.operand)}`;
    case 'binary':
      return `(${printExpr(e.left)} ${e.op} ${printExpr(e.right)})`;
    case 'call':
      return `${e.name}(${e.args.map(printExpr).join(', ')})`;
  }
}
