/**
 * Fault rules (shared by diagnostics and the API): the rule language, type-checked against the vehicle model catalog
 * and compiled to closures, and the event-time rule engine. Pure: no I/O. The PostgreSQL rule store and its hot
 * reloader are the separate entry point `@telltale/rules/pg`; the alert as it travels is `@telltale/rules/alerts`.
 */
export { parseDuration, formatDuration } from './duration.js';
export { SEVERITIES, severityRank, isSeverity, type Severity } from './severity.js';
export {
  formatRuleProblem,
  RuleExpressionError,
  type RuleProblem,
  type RuleProblemCode,
  type SourcePosition,
} from './problems.js';
export { lookupSignal, type RuleCatalog, type RuleCatalogSignal, type SignalLookup } from './catalog-view.js';
export type { Expr, BinaryOperator } from './expression/ast.js';
export { printExpr } from './expression/ast.js';
export { MAX_EXPRESSION_DEPTH, parseExpression } from './expression/parser.js';
export { tokenize, type Token, type TokenKind } from './expression/lexer.js';
export { formatDtc, formatNumber, MAX_PLACEHOLDERS, type TemplateVariables } from './template.js';
export {
  parseRuleDefinition,
  RULE_LIMITS,
  type LadderStep,
  type ParsedRule,
  type RuleDefinition,
  type RuleScope,
} from './rule-definition.js';
export {
  compileRules,
  compileRuleForModel,
  EMPTY_SNAPSHOT,
  type CompileRulesResult,
  type CompiledRule,
  type ModelRuleSet,
  type RuleSnapshot,
} from './compile-rules.js';
export { alertId, type AlertState, type AlertTransition, type Evidence } from './alert.js';
export {
  RuleEngine,
  VEHICLE_STATE_FORMAT,
  type IngestResult,
  type RuleEngineOptions,
  type RuleTiming,
  type RuleStateJson,
  type SampleBatch,
  type VehicleStateJson,
} from './engine.js';
export type { RulePhase } from './rule-state.js';
export { diffDefinitions, summarizeDefinition, type JsonObject, type JsonValue } from './rule-diff.js';
// The expression compiler and the per-vehicle signal state it reads, for other evaluators of the same language
// (@telltale/feature-sets aggregates expressions over event-time windows).
export { ExpressionCompiler, SignalUses, type CompiledExpression } from './expression/compile.js';
export { VehicleSignals, type EvalContext } from './signal-state.js';
