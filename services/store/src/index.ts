export { startStore, runStore, type RunningStore } from './main.js';
export { StoreConfig } from './config.js';
export { HEADER as STORE_HEADERS } from './write-signals.js';
export { PgSignalStore } from './adapters/pg-signal-store.js';
export { coalesce, type DecodedBatch } from './domain/coalesce.js';
