/**
 * Features (shared by the features service, the model tooling and the API): feature sets — rule-language
 * expressions aggregated over event-time windows, per vehicle model — and the per-vehicle window engine. Pure: no
 * I/O. The PostgreSQL store, model registry and reloader are `@telltale/feature-sets/pg`.
 */
export {
  AGGREGATES,
  FEATURE_SET_LIMITS,
  parseFeatureSet,
  type Aggregate,
  type FeatureDefinition,
  type FeatureSetDefinition,
  type FeatureSetParse,
  type ParsedFeature,
  type ParsedFeatureSet,
} from './definition.js';
export {
  compileFeatureSet,
  type CompileFeatureSetResult,
  type CompiledFeature,
  type ModelFeatureSet,
} from './compile.js';
export { VehicleWindows, type ClosedWindow, type IngestOutcome, type VehicleWindowsJson } from './vehicle-windows.js';
export {
  onlineFeatureKey,
  ONLINE_VECTOR_FIELD,
  ONLINE_WINDOW_END_FIELD,
  type OnlineFeatureVector,
} from './online-store.js';
