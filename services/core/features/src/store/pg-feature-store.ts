/**
 * Feature sets and fault models in PostgreSQL (migration 0015_features.sql). Feature sets are versioned like rules:
 * applying a changed definition adds an immutable version; applying an unchanged one does nothing. Fault models are
 * immutable versions (ONNX bytes + model card); one version per vehicle model is active, and who activated it is
 * kept. Every change bumps feature_sets_version, which features instances poll (hot reload). Validating a feature set
 * (parseFeatureSet, compileFeatureSet) is the caller's job.
 */
import type { Pool, PoolClient } from '@telltale/platform/db';
import { TelltaleError } from '@telltale/platform/errors';
import type { FeatureSetDefinition } from '../definition.js';

export interface StoredFeatureSet {
  readonly setId: string;
  readonly version: number;
  readonly definition: FeatureSetDefinition;
}

export interface StoredFaultModel {
  readonly modelId: string;
  readonly version: number;
  readonly vehicleModel: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  readonly fault: string;
  readonly card: Readonly<Record<string, unknown>>;
  readonly createdBy: string;
}

export interface ActiveFaultModel extends StoredFaultModel {
  readonly onnx: Uint8Array;
  readonly activatedBy: string;
}

/** What a features instance runs: enabled feature sets and active models, read in one snapshot with their version. */
export interface ActiveFeatures {
  readonly version: number;
  readonly sets: readonly StoredFeatureSet[];
  readonly models: readonly ActiveFaultModel[];
}

export interface NewFaultModel {
  readonly modelId: string;
  readonly vehicleModel: string;
  readonly featureSetId: string;
  readonly featureSetVersion: number;
  readonly fault: string;
  readonly onnx: Uint8Array;
  readonly card: Readonly<Record<string, unknown>>;
  readonly createdBy: string;
}

function storeError(cause: unknown): TelltaleError {
  if (cause instanceof TelltaleError) return cause;
  return new TelltaleError('FEATURE_STORE_UNAVAILABLE', `Feature store query failed: ${(cause as Error).message}`, {
    retryable: true,
    cause,
  });
}

export class PgFeatureStore {
  constructor(private readonly pool: Pool) {}

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((cause: unknown) => {
      throw storeError(cause);
    });
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeError(cause);
    } finally {
      client.release();
    }
  }

  /** Saves a feature set: a new version when the definition changed, else nothing. */
  async applyFeatureSet(
    definition: FeatureSetDefinition,
    actor: string,
  ): Promise<{ setId: string; version: number; action: 'created' | 'updated' | 'unchanged' }> {
    const { version: _ignored, ...body } = definition;
    return this.transaction(async (client) => {
      const { rows } = await client.query<{ current_version: number; definition: FeatureSetDefinition }>(
        `SELECT s.current_version, v.definition FROM feature_sets s
         JOIN feature_set_versions v ON v.set_id = s.set_id AND v.version = s.current_version
         WHERE s.set_id = $1 FOR UPDATE OF s`,
        [definition.id],
      );
      const current = rows[0];
      if (current !== undefined) {
        const { version: _v, ...stored } = current.definition;
        if (canonical(stored) === canonical(body)) {
          await client.query('UPDATE feature_sets SET enabled = true WHERE set_id = $1 AND NOT enabled', [
            definition.id,
          ]);
          return { setId: definition.id, version: current.current_version, action: 'unchanged' as const };
        }
      }
      const version = (current?.current_version ?? 0) + 1;
      // The set row first: its current version's foreign key is checked at commit.
      await client.query(
        `INSERT INTO feature_sets (set_id, current_version) VALUES ($1, $2)
         ON CONFLICT (set_id) DO UPDATE SET current_version = $2, enabled = true, updated_at = now()`,
        [definition.id, version],
      );
      await client.query(
        'INSERT INTO feature_set_versions (set_id, version, definition, created_by) VALUES ($1, $2, $3, $4)',
        [definition.id, version, JSON.stringify({ ...body, version }), actor],
      );
      return {
        setId: definition.id,
        version,
        action: current === undefined ? ('created' as const) : ('updated' as const),
      };
    });
  }

  async setEnabled(setId: string, enabled: boolean): Promise<boolean> {
    const { rowCount } = await this.pool
      .query('UPDATE feature_sets SET enabled = $2, updated_at = now() WHERE set_id = $1', [setId, enabled])
      .catch((cause: unknown) => {
        throw storeError(cause);
      });
    return rowCount === 1;
  }

  async featureSet(setId: string, version?: number): Promise<StoredFeatureSet | undefined> {
    const { rows } = await this.pool
      .query<{ set_id: string; version: number; definition: FeatureSetDefinition }>(
        `SELECT v.set_id, v.version, v.definition FROM feature_set_versions v JOIN feature_sets s USING (set_id)
         WHERE v.set_id = $1 AND v.version = coalesce($2::int, s.current_version)`,
        [setId, version ?? null],
      )
      .catch((cause: unknown) => {
        throw storeError(cause);
      });
    const row = rows[0];
    return row === undefined ? undefined : { setId: row.set_id, version: row.version, definition: row.definition };
  }

  async changeVersion(): Promise<number> {
    const { rows } = await this.pool
      .query<{ version: string }>('SELECT version FROM feature_sets_version')
      .catch((cause: unknown) => {
        throw storeError(cause);
      });
    return Number(rows[0]?.version ?? 0);
  }

  /** Enabled feature sets and active models, consistent with the version returned. */
  async active(): Promise<ActiveFeatures> {
    return this.transaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const version = await client.query<{ version: string }>('SELECT version FROM feature_sets_version');
      const sets = await client.query<{ set_id: string; version: number; definition: FeatureSetDefinition }>(
        `SELECT v.set_id, v.version, v.definition FROM feature_sets s
         JOIN feature_set_versions v ON v.set_id = s.set_id AND v.version = s.current_version
         WHERE s.enabled ORDER BY s.set_id`,
      );
      const models = await client.query<ModelRow & { onnx: Buffer; activated_by: string }>(
        `SELECT m.*, a.activated_by FROM fault_model_activations a
         JOIN fault_models m ON m.model_id = a.model_id AND m.version = a.version ORDER BY a.vehicle_model`,
      );
      return {
        version: Number(version.rows[0]?.version ?? 0),
        sets: sets.rows.map((r) => ({ setId: r.set_id, version: r.version, definition: r.definition })),
        models: models.rows.map((r) => ({
          ...fromModelRow(r),
          onnx: new Uint8Array(r.onnx),
          activatedBy: r.activated_by,
        })),
      };
    });
  }

  /** Adds a model version (the next of `modelId`). */
  async registerModel(model: NewFaultModel): Promise<StoredFaultModel> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`telltale-fault-model:${model.modelId}`]);
      const { rows } = await client.query<{ next: number }>(
        'SELECT coalesce(max(version), 0) + 1 AS next FROM fault_models WHERE model_id = $1',
        [model.modelId],
      );
      const version = rows[0]!.next;
      const inserted = await client.query<ModelRow>(
        `INSERT INTO fault_models (model_id, version, vehicle_model, feature_set_id, feature_set_version, fault, onnx,
           card, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING model_id, version, vehicle_model, feature_set_id, feature_set_version, fault, card, created_by`,
        [
          model.modelId,
          version,
          model.vehicleModel,
          model.featureSetId,
          model.featureSetVersion,
          model.fault,
          Buffer.from(model.onnx),
          JSON.stringify({ ...model.card, modelId: model.modelId, version }),
          model.createdBy,
        ],
      );
      return fromModelRow(inserted.rows[0]!);
    });
  }

  /** Makes a model version the active one for its vehicle model. */
  async activateModel(modelId: string, version: number, actor: string): Promise<StoredFaultModel> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<ModelRow>(
        `SELECT model_id, version, vehicle_model, feature_set_id, feature_set_version, fault, card, created_by
         FROM fault_models WHERE model_id = $1 AND version = $2`,
        [modelId, version],
      );
      const model = rows[0];
      if (model === undefined)
        throw new TelltaleError('FAULT_MODEL_NOT_FOUND', `Model ${modelId} version ${version} does not exist.`, {
          details: { modelId, version },
        });
      await client.query(
        `INSERT INTO fault_model_activations (vehicle_model, model_id, version, activated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vehicle_model) DO UPDATE
           SET model_id = $2, version = $3, activated_by = $4, activated_at = now()`,
        [model.vehicle_model, modelId, version, actor],
      );
      await client.query(
        `INSERT INTO fault_model_activation_log (vehicle_model, model_id, version, activated_by)
         VALUES ($1, $2, $3, $4)`,
        [model.vehicle_model, modelId, version, actor],
      );
      return fromModelRow(model);
    });
  }

  async listModels(): Promise<(StoredFaultModel & { active: boolean; activatedBy: string | null })[]> {
    const { rows } = await this.pool
      .query<ModelRow & { active: boolean; activated_by: string | null }>(
        `SELECT m.model_id, m.version, m.vehicle_model, m.feature_set_id, m.feature_set_version, m.fault, m.card,
           m.created_by, a.vehicle_model IS NOT NULL AS active, a.activated_by
         FROM fault_models m LEFT JOIN fault_model_activations a ON a.model_id = m.model_id AND a.version = m.version
         ORDER BY m.model_id, m.version`,
      )
      .catch((cause: unknown) => {
        throw storeError(cause);
      });
    return rows.map((r) => ({ ...fromModelRow(r), active: r.active, activatedBy: r.activated_by }));
  }
}

interface ModelRow {
  model_id: string;
  version: number;
  vehicle_model: string;
  feature_set_id: string;
  feature_set_version: number;
  fault: string;
  card: Record<string, unknown>;
  created_by: string;
}

function fromModelRow(r: ModelRow): StoredFaultModel {
  return {
    modelId: r.model_id,
    version: r.version,
    vehicleModel: r.vehicle_model,
    featureSetId: r.feature_set_id,
    featureSetVersion: r.feature_set_version,
    fault: r.fault,
    card: r.card,
    createdBy: r.created_by,
  };
}

/** JSON with sorted keys, for "did the definition change". */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
