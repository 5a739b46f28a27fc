/**
 * Fault rules (shared by diagnostics and the API): the rule language, type-checked against the vehicle model catalog
 * and compiled to closures; the event-time rule engine (pure); the PostgreSQL rule store and its hot reloader
 * (store/). See services/diagnostics/README.md.
 */
export { parseDuration, formatDuration } from './duration.js';
export { SEVERITIES, severityRank, isSeverity, type Severity } from './severity.js';
export { formatRuleProblem, RuleExpressionError, type RuleProblem, type RuleProblemCode, type SourcePosition } from './problems.js';
export { lookupSignal, type RuleCatalog, type RuleCatalogSignal, type SignalLookup } from './catalog-view.js';
export type { Expr, BinaryOperator } from './expression/ast.js';
export { printExpr } from './expression/ast.js';
export { parseExpression } from './expression/parser.js';
export { tokenize, type Token, type TokenKind } from './expression/lexer.js';
export { formatDtc, formatNumber, type TemplateVariables } from './template.js';
export {
  parseRuleDefinition, type LadderStep, type ParsedRule, type RuleDefinition, type RuleScope,
} from './rule-definition.js';
export {
  compileRules, compileRuleForModel, EMPTY_SNAPSHOT,
  type CompileRulesResult, type CompiledRule, type ModelRuleSet, type RuleSnapshot,
} from './compile-rules.js';
export { alertId, type AlertState, type AlertTransition, type Evidence } from './alert.js';
export {
  RuleEngine, VEHICLE_STATE_FORMAT,
  type IngestResult, type RuleEngineOptions, type RuleStateJson, type SampleBatch, type VehicleStateJson,
} from './engine.js';
export type { RulePhase } from './rule-state.js';
export {
  PgRuleStore,
  type ActiveRules, type RuleAuditAction, type RuleAuditEntry, type RuleHistory, type StoredRule, type StoredRuleVersion,
} from './store/pg-rule-store.js';
export {
  RuleReloader, RULES_CHANNEL,
  type LoadedRules, type RuleReloaderOptions, type RuleReloaderSource, type RuleReloaderStats,
} from './store/rule-reloader.js';
export { diffDefinitions, summarizeDefinition, type JsonObject, type JsonValue } from './store/rule-diff.js';
