/**
 * The uninterrupted engine the chaos run compares diagnostics with: one RuleEngine (the library diagnostics runs),
 * the same active rules from PostgreSQL compiled against the same catalogs, fed every record of vehicle.signals.v1
 * once, in the log's order (`logOrder`), with the timers advanced as the live service's ticks would have, had it never
 * stopped: the newest arrival time fed so far stands for the wall clock, and each partition's vehicles are advanced
 * on that partition's clock (`partitionClock` of @telltale/diagnostics with the service's default idle hold: held
 * near the partition's newest arrival while nothing arrives on it, the wall clock once it is idle). Its transitions —
 * alert id, transition seq, state — are what the killed and restarted diagnostics must have recorded.
 */
import type pg from 'pg';
import { BUNDLED_CATALOG_DIR, CatalogLibrary } from '@telltale/catalog';
import { DiagnosticsConfig, partitionClock, type TimerClockSettings } from '@telltale/diagnostics';
import { loadConfig } from '@telltale/platform';
import { decodeSignalBatch } from '@telltale/platform/proto';
import { testLogger } from '@telltale/platform/testing';
import { RuleEngine, compileRules, type AlertTransition, type RuleSnapshot } from '@telltale/rules';
import { PgRuleStore } from '@telltale/rules/pg';

export interface ArrivedRecord {
  /** The gateway's receive time of the batch (the record timestamp when the batch has none). */
  readonly arrivalMs: number;
  readonly value: Buffer;
  /** Where the record is on vehicle.signals.v1. */
  readonly partition: number;
  readonly offset: number;
}

/**
 * The order diagnostics reads the log in: each partition in offset order — a vehicle's records, keyed by VIN, in
 * the order they were written, which is not always their arrival order (two gateway instances write one vehicle's
 * batches; one held back by a broker kill writes its batch after the other's later one) — and the partitions
 * interleaved by the arrival time of their next record. Sorting every record by arrival time instead evaluates a
 * vehicle's late batch before batches the live service had evaluated first, and an engine's result depends on that
 * order (a late sample is evaluated at the rule's current time: it does not move a `for` back).
 */
export function logOrder(records: readonly ArrivedRecord[]): ArrivedRecord[] {
  const byPartition = new Map<number, ArrivedRecord[]>();
  for (const r of records) {
    let list = byPartition.get(r.partition);
    if (!list) byPartition.set(r.partition, (list = []));
    list.push(r);
  }
  const queues = [...byPartition.values()].map((list) => ({ list: list.sort((a, b) => a.offset - b.offset), next: 0 }));
  const out: ArrivedRecord[] = [];
  for (;;) {
    let best: (typeof queues)[number] | undefined;
    for (const q of queues)
      if (q.next < q.list.length && (!best || q.list[q.next]!.arrivalMs < best.list[best.next]!.arrivalMs)) best = q;
    if (!best) return out;
    out.push(best.list[best.next++]!);
  }
}

/** Records written to their partition after one that arrived later (two gateways; one held back by a fault). */
export function writtenOutOfArrivalOrder(records: readonly ArrivedRecord[]): number {
  const newest = new Map<number, number>();
  let count = 0;
  for (const r of [...records].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    if (r.arrivalMs < (newest.get(r.partition) ?? -Infinity)) count++;
    else newest.set(r.partition, r.arrivalMs);
  }
  return count;
}

/** The live service's silence grace and timer clock as the chaos run starts it (its defaults). */
export function serviceTimers(): { silenceGraceMs: number; clock: TimerClockSettings } {
  const config = loadConfig(DiagnosticsConfig, {});
  return {
    silenceGraceMs: config.silenceGraceMs,
    clock: { idleHoldMs: config.idleHoldMs, heldMarginMs: config.silenceGraceMs },
  };
}

/** What the reference knows of a partition's flow (the live service keeps the same per owned partition). */
interface PartitionFed {
  newestArrivalMs: number;
  /** The reference's clock when a live record of the partition was last fed. */
  lastLiveMs: number;
  readonly vins: Set<string>;
}

/** The transitions of one uninterrupted engine with these rules over the records, fed in the log's order. */
export function replayTransitions(
  snapshot: RuleSnapshot,
  fleetOf: (vin: string) => string | undefined,
  records: readonly ArrivedRecord[],
  timers = serviceTimers(),
): AlertTransition[] {
  const engine = new RuleEngine({ silenceGraceMs: timers.silenceGraceMs });
  const out: AlertTransition[] = [...engine.setRules(snapshot)];
  const partitions = new Map<number, PartitionFed>();
  let clockMs = 0; // the wall clock's stand-in: never goes back (newest arrival fed)
  for (const record of logOrder(records)) {
    clockMs = Math.max(clockMs, record.arrivalMs);
    for (const fed of partitions.values()) {
      const { atMs } = partitionClock({ caughtUp: true, ...fed }, clockMs, timers.clock);
      if (atMs !== undefined) out.push(...engine.advance(atMs, fed.vins));
    }
    const { header, columns } = decodeSignalBatch(record.value);
    const arrivalTimeMs = header.source?.gatewayReceiveTimeMsEpoch ?? record.arrivalMs;
    let fed = partitions.get(record.partition);
    if (!fed) partitions.set(record.partition, (fed = { newestArrivalMs: 0, lastLiveMs: clockMs, vins: new Set() }));
    fed.vins.add(header.vin);
    if (!header.backfill) {
      fed.newestArrivalMs = Math.max(fed.newestArrivalMs, arrivalTimeMs);
      fed.lastLiveMs = clockMs;
    }
    const result = engine.ingest({
      vin: header.vin,
      modelId: header.modelId,
      fleetId: fleetOf(header.vin) ?? '',
      catalogVersion: header.catalogVersion,
      signalIds: columns.signalId,
      values: columns.value,
      timesMs: columns.timeOffsetMs,
      baseTimeMs: header.baseTimeMsEpoch,
      backfill: header.backfill,
      arrivalTimeMs,
    });
    out.push(...result.transitions);
  }
  return out;
}

/** `replayTransitions` with the run's active rules, catalogs and fleets (from its PostgreSQL). */
export async function referenceTransitions(pool: pg.Pool, records: ArrivedRecord[]): Promise<AlertTransition[]> {
  const catalogs = (await new CatalogLibrary(BUNDLED_CATALOG_DIR, testLogger()).latestPerModel()).map((c) => c.catalog);
  const { definitions } = await new PgRuleStore(pool).loadActive();
  const { snapshot } = compileRules(definitions, catalogs);
  const { rows } = await pool.query<{ vin: string; fleet_id: string }>('SELECT vin, fleet_id FROM vehicles');
  const fleetOf = new Map(rows.map((r) => [r.vin, r.fleet_id]));
  return replayTransitions(snapshot, (vin) => fleetOf.get(vin), records);
}
