/** API keys in PostgreSQL (table api_keys, migrations/0003_api_keys.sql). */
import type { Pool } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform';
import { generateApiKey } from '../domain/api-key.js';
import { isRole, type Role } from '../domain/access.js';
import { TtlCache } from '../domain/ttl-cache.js';

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly fleets: readonly string[];
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
}

export interface StoredApiKey extends ApiKeyRecord {
  readonly secretSha256: string;
}

export interface NewApiKey {
  readonly name: string;
  readonly role: Role;
  readonly fleets: readonly string[];
  /** Key id of the creating admin key, or 'cli'. */
  readonly createdBy: string;
}

type Row = {
  key_id: string;
  name: string;
  secret_sha256: string;
  role: string;
  fleet_ids: string[];
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
};

const COLUMNS = 'key_id, name, secret_sha256, role, fleet_ids, created_by, created_at, revoked_at, last_used_at';

function record(row: Row): StoredApiKey {
  if (!isRole(row.role))
    throw new TelltaleError('API_KEY_STORE_INVALID', `API key ${row.key_id} has the unknown role "${row.role}".`);
  return {
    keyId: row.key_id,
    name: row.name,
    secretSha256: row.secret_sha256,
    role: row.role,
    fleets: row.fleet_ids,
    createdBy: row.created_by,
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
  };
}

function withoutSecret(key: StoredApiKey): ApiKeyRecord {
  const { secretSha256: _hash, ...rest } = key;
  return rest;
}

function unavailable(cause: unknown): TelltaleError {
  return new TelltaleError('DATABASE_UNAVAILABLE', `API key query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

export class PgApiKeyStore {
  /** Key id → when its last_used_at was last written by this process: at most one write per key and interval. */
  private readonly touched = new Map<string, number>();
  /** Known keys as `find` read them (unknown ids are not kept: random ids cannot fill it). */
  private readonly cache: TtlCache<string, StoredApiKey | undefined>;

  /**
   * `lookupCacheMs` (API_AUTH_CACHE_MS): `find` serves a key read at most this long ago, so a key revoked elsewhere
   * (another instance, the CLI, SQL) is refused within it; `revoke` here forgets it at once. 0: every `find` reads.
   */
  constructor(
    private readonly pool: Pool,
    private readonly touchIntervalMs = 60_000,
    lookupCacheMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.cache = new TtlCache({ ttlMs: lookupCacheMs, keep: (key) => key !== undefined });
  }

  /** Creates a key; the returned token is the only time its secret exists outside the caller's hands. */
  async create(key: NewApiKey): Promise<{ key: ApiKeyRecord; token: string }> {
    const generated = generateApiKey();
    const { rows } = await this.pool
      .query<Row>(
        `INSERT INTO api_keys (key_id, name, secret_sha256, role, fleet_ids, created_by) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${COLUMNS}`,
        [generated.keyId, key.name, generated.secretSha256, key.role, key.fleets, key.createdBy],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return { key: withoutSecret(record(rows[0]!)), token: generated.token };
  }

  /** The key with its secret hash, revoked or not; undefined when unknown. Served from the lookup cache. */
  find(keyId: string): Promise<StoredApiKey | undefined> {
    return this.cache.load(keyId, this.now(), () => this.read(keyId));
  }

  private async read(keyId: string): Promise<StoredApiKey | undefined> {
    const { rows } = await this.pool
      .query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = $1`, [keyId])
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows[0] ? record(rows[0]) : undefined;
  }

  async list(options: { includeRevoked?: boolean } = {}): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool
      .query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE $1 OR revoked_at IS NULL ORDER BY created_at, key_id`, [
        options.includeRevoked ?? false,
      ])
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    return rows.map((row) => withoutSecret(record(row)));
  }

  /** Revokes the key (idempotent: a revoked key keeps its first revocation time); undefined when unknown. */
  async revoke(keyId: string): Promise<ApiKeyRecord | undefined> {
    const { rows } = await this.pool
      .query<Row>(
        `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1 RETURNING ${COLUMNS}`,
        [keyId],
      )
      .catch((cause: unknown) => {
        throw unavailable(cause);
      });
    this.cache.delete(keyId);
    return rows[0] ? withoutSecret(record(rows[0])) : undefined;
  }

  /** Records that the key was used; writes at most once per key and touch interval from this process. */
  async touch(keyId: string, nowMs = Date.now()): Promise<void> {
    const last = this.touched.get(keyId);
    if (last !== undefined && nowMs - last < this.touchIntervalMs) return;
    this.touched.set(keyId, nowMs);
    await this.pool
      .query('UPDATE api_keys SET last_used_at = now() WHERE key_id = $1', [keyId])
      .catch((cause: unknown) => {
        this.touched.delete(keyId);
        throw unavailable(cause);
      });
  }
}
