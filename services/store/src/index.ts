export { startStore, runStore, type RunningStore } from './main.js';
export { StoreConfig } from './config.js';
export { PgSignalStore } from './adapters/pg-signal-store.js';
export { coalesce, emptyHistoryRows, emptyLatestRows, type DecodedBatch } from './domain/coalesce.js';
