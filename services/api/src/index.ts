export { startApi, runApi, type RunningApi } from './main.js';
export { ApiConfig } from './config.js';
export { buildApiServer, type ApiServerOptions } from './http/server.js';
export type { ApiDeps, Health } from './http/context.js';
export { PgApiKeyStore, type ApiKeyRecord, type NewApiKey } from './adapters/pg-api-keys.js';
export { ROLES, ALL_FLEETS, isRole, keyFleetProblems, type Role, type Principal } from './domain/access.js';
export { parseApiKey, generateApiKey, hashApiKeySecret } from './domain/api-key.js';
