/**
 * The uninterrupted engine the chaos run compares diagnostics with: one RuleEngine (the library diagnostics runs),
 * the same active rules from PostgreSQL compiled against the same catalogs, fed every record of vehicle.signals.v1
 * once, in gateway-arrival order, with the timer clock advanced to each record's arrival time (as the live service's
 * ticks would have, had it never stopped). Its transitions — alert id, transition seq, state — are what the killed
 * and restarted diagnostics must have recorded.
 */
import type pg from 'pg';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { decodeSignalBatch } from '@telltale/platform/proto';
import { testLogger } from '@telltale/platform/testing';
import { RuleEngine, compileRules, type AlertTransition } from '@telltale/rules';
import { PgRuleStore } from '@telltale/rules/pg';

export interface ArrivedRecord {
  readonly arrivalMs: number;
  readonly value: Buffer;
}

export async function referenceTransitions(pool: pg.Pool, records: ArrivedRecord[]): Promise<AlertTransition[]> {
  const catalogs = (await new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger()).latestPerModel()).map((c) => c.catalog);
  const { definitions } = await new PgRuleStore(pool).loadActive();
  const { snapshot } = compileRules(definitions, catalogs);
  const { rows } = await pool.query<{ vin: string; fleet_id: string }>('SELECT vin, fleet_id FROM vehicles');
  const fleetOf = new Map(rows.map((r) => [r.vin, r.fleet_id]));

  const engine = new RuleEngine();
  const out: AlertTransition[] = [...engine.setRules(snapshot)];
  const ordered = [...records].sort((a, b) => a.arrivalMs - b.arrivalMs);
  for (const record of ordered) {
    out.push(...engine.advance(record.arrivalMs));
    const { header, columns } = decodeSignalBatch(record.value);
    const result = engine.ingest({
      vin: header.vin,
      modelId: header.modelId,
      fleetId: fleetOf.get(header.vin) ?? '',
      catalogVersion: header.catalogVersion,
      signalIds: columns.signalId,
      values: columns.value,
      timesMs: columns.timeOffsetMs,
      baseTimeMs: header.baseTimeMsEpoch,
      backfill: header.backfill,
      arrivalTimeMs: header.source?.gatewayReceiveTimeMsEpoch ?? record.arrivalMs,
    });
    out.push(...result.transitions);
  }
  return out;
}
