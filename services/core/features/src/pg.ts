/**
 * The PostgreSQL side of features (`@telltale/feature-sets/pg`): the versioned feature-set store, the fault-model
 * registry (versions, the active one per vehicle model, who activated it) and the hot reloader. Kept apart so the
 * pure window engine never pulls in pg.
 */
export {
  PgFeatureStore,
  type ActiveFaultModel,
  type ActiveFeatures,
  type NewFaultModel,
  type StoredFaultModel,
  type StoredFeatureSet,
} from './store/pg-feature-store.js';
export { FeatureReloader, type FeatureReloaderOptions } from './store/feature-reloader.js';
