/** The parts of @telltale/core's DBC engine and signal catalog the simulator uses. */
export type { Message, Signal, Database } from '@telltale/dbc';
export { compileDatabase, decodeFrame, parseDbc, type CompiledDatabase, type FrameDecodeResult } from '@telltale/dbc';
export { loadCatalog, compileCatalog, type Catalog, type CatalogBus, type CompiledCatalog } from '@telltale/catalog';
