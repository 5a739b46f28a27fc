/**
 * The rule a backtest replays: one definition (a draft or a saved version) compiled with the compiler diagnostics
 * uses, against the newest catalog of each model. It is replayed as enabled whatever its `enabled` field says (a
 * disabled or not yet enabled rule is exactly what one backtests); a draft without a version is version 1.
 */
import { compileRules, type CompileRulesResult, type JsonObject, type RuleCatalog } from '@telltale/rules';

export function compileBacktestRule(definition: JsonObject, catalogs: readonly RuleCatalog[]): CompileRulesResult {
  const version = typeof definition.version === 'number' ? definition.version : 1;
  return compileRules([{ ...definition, version, enabled: true }], catalogs);
}
