/**
 * @telltale/diagnostics: the fault-rule language and the event-time rule engine (pure domain). The service wiring
 * (Kafka in, alerts out, state persistence) calls this API; the PostgreSQL rule store and its hot reloader are in
 * adapters/. See README.md.
 */
export { parseDuration, formatDuration } from './domain/duration.js';
export { SEVERITIES, severityRank, isSeverity, type Severity } from './domain/severity.js';
export { formatRuleProblem, RuleExpressionError, type RuleProblem, type RuleProblemCode, type SourcePosition } from './domain/problems.js';
export { lookupSignal, type RuleCatalog, type RuleCatalogSignal, type SignalLookup } from './domain/catalog-view.js';
export type { Expr, BinaryOperator } from './domain/expression/ast.js';
export { printExpr } from './domain/expression/ast.js';
export { parseExpression } from './domain/expression/parser.js';
export { tokenize, type Token, type TokenKind } from './domain/expression/lexer.js';
export { formatDtc, formatNumber, type TemplateVariables } from './domain/template.js';
export {
  parseRuleDefinition, type LadderStep, type ParsedRule, type RuleDefinition, type RuleScope,
} from './domain/rule-definition.js';
export {
  compileRules, compileRuleForModel, EMPTY_SNAPSHOT,
  type CompileRulesResult, type CompiledRule, type ModelRuleSet, type RuleSnapshot,
} from './domain/compile-rules.js';
export { alertId, type AlertState, type AlertTransition, type Evidence } from './domain/alert.js';
export {
  RuleEngine, VEHICLE_STATE_FORMAT,
  type IngestResult, type RuleEngineOptions, type RuleStateJson, type SampleBatch, type VehicleStateJson,
} from './domain/engine.js';
export type { RulePhase } from './domain/rule-state.js';
export {
  PgRuleStore,
  type ActiveRules, type RuleAuditAction, type RuleAuditEntry, type RuleHistory, type StoredRule, type StoredRuleVersion,
} from './adapters/pg-rule-store.js';
export {
  RuleReloader, RULES_CHANNEL,
  type LoadedRules, type RuleReloaderOptions, type RuleReloaderSource, type RuleReloaderStats,
} from './adapters/rule-reloader.js';
export { diffDefinitions, summarizeDefinition, type JsonObject, type JsonValue } from './adapters/rule-diff.js';
