/**
 * The PostgreSQL side of fault rules (`@telltale/rules/pg`): the versioned rule store with its audit trail and the
 * hot reloader (LISTEN/NOTIFY plus a periodic version check). Kept apart so the pure engine never pulls in pg.
 */
export {
  PgRuleStore,
  type ActiveRules,
  type RuleAuditAction,
  type RuleAuditEntry,
  type RuleHistory,
  type ShadowDeployment,
  type StoredRule,
  type StoredRuleVersion,
} from './store/pg-rule-store.js';
export {
  RuleReloader,
  RULES_CHANNEL,
  type LoadedRules,
  type RuleReloaderOptions,
  type RuleReloaderSource,
  type RuleReloaderStats,
} from './store/rule-reloader.js';
