/**
 * A backtest from start to end: one rule (a draft or a saved version, compiled by the caller against the newest
 * catalog of each model), the archived history of the chosen vehicles over [fromMs, toMs), replayed hour by hour
 * through the live rule engine; then the summary and the diff against what live diagnostics recorded.
 *
 *   const report = await runBacktest({ db, pool, archiveDir, snapshot, ruleId, vehicles, fromMs, toMs,
 *                                      signal: controller.signal, progress: (p) => print(p) });
 *
 * Progress is reported after each hour group (files of one model and hour); `signal` cancels between chunks
 * (the running DuckDB query is interrupted) and the promise rejects with the abort reason.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import type { AlertTransition, RuleSnapshot } from '@telltale/rules';
import { archivedFiles, groupByHour, readHourGroup, type ModelSelection } from './archive-samples.js';
import { MergeBuffers } from './run-merger.js';
import { liveTransitions } from './pg-live-transitions.js';
import { RuleReplay, type ReplayVehicle } from './replay.js';
import { summarize, type BacktestSummary } from './report.js';

export interface BacktestProgress {
  /** Hour groups (files of one model and UTC hour) read so far, of `hourGroups`. */
  readonly hoursRead: number;
  readonly hourGroups: number;
  readonly files: number;
  /** Rows in the files read so far (all vehicles and signals), of `archivedRows`: the fraction of work done. */
  readonly scannedRows: number;
  readonly archivedRows: number;
  /** Rule-relevant samples replayed so far. */
  readonly samples: number;
  readonly transitions: number;
  /** The event time the replay has reached (end of the last hour read). */
  readonly reachedMs: number;
}

export interface BacktestRequest {
  readonly db: DuckDBConnection;
  readonly pool: Pick<pg.Pool, 'query'>;
  readonly archiveDir: string;
  /** The rule, compiled for the models it applies to (one rule; enabled). */
  readonly snapshot: RuleSnapshot;
  /** The id whose live transitions the result is compared with. */
  readonly ruleId: string;
  readonly vehicles: readonly ReplayVehicle[];
  readonly fromMs: number;
  readonly toMs: number;
  /** A raise and its clear within this time count as a flap (default 5 minutes). */
  readonly flapWindowMs?: number;
  /** Compare with alert_transitions (default true). */
  readonly compareLive?: boolean;
  readonly listLimit?: number;
  readonly signal?: AbortSignal;
  readonly progress?: (p: BacktestProgress) => void;
}

export interface BacktestResult {
  readonly summary: BacktestSummary;
  /** Every transition the rule would have made, in the order the engine made them (per vehicle: event time). */
  readonly transitions: readonly AlertTransition[];
  readonly files: number;
  readonly scannedRows: number;
  readonly elapsedMs: number;
}

export const DEFAULT_FLAP_WINDOW_MS = 300_000;

export async function runBacktest(r: BacktestRequest): Promise<BacktestResult> {
  const started = performance.now();
  const selections = new Map<string, ModelSelection & { vehicles: ReplayVehicle[] }>();
  for (const v of r.vehicles) {
    const rules = r.snapshot.models.get(v.modelId);
    if (rules === undefined || rules.rules.length === 0) continue; // the rule does not apply to this model
    let s = selections.get(v.modelId);
    if (s === undefined) {
      s = { modelId: v.modelId, vins: [], vehicles: [], signalIds: [...rules.interest.keys()].sort((a, b) => a - b) };
      selections.set(v.modelId, s);
    }
    (s.vins as string[]).push(v.vin);
    s.vehicles.push(v);
  }
  const files = selections.size === 0 ? [] : await archivedFiles(r.pool, [...selections.keys()], r.fromMs, r.toMs);
  const groups = groupByHour(files);
  const archivedRows = groups.reduce((n, g) => n + g.rows, 0);
  const replay = new RuleReplay(r.snapshot, { toMs: r.toMs });
  const buffers = new MergeBuffers();
  let hoursRead = 0;
  let scannedRows = 0;
  const report = (reachedMs: number): void =>
    r.progress?.({
      hoursRead,
      hourGroups: groups.length,
      files: files.length,
      scannedRows,
      archivedRows,
      samples: replay.samples,
      transitions: replay.transitions.length,
      reachedMs,
    });
  report(r.fromMs);
  for (const group of groups) {
    const selection = selections.get(group.modelId)!;
    const vehicles = selection.vehicles;
    await readHourGroup(r.db, group, selection, { ...r, buffers }, (c) => {
      if (c.wholeVehicle) {
        replay.ingestRun(vehicles[c.vehicle[0]!]!, c.signalId, c.eventTimeMs, c.value);
        return;
      }
      let start = 0;
      while (start < c.rows) {
        const vi = c.vehicle[start]!;
        let end = start + 1;
        while (end < c.rows && c.vehicle[end] === vi) end++;
        replay.pushColumns(vehicles[vi]!, c.signalId, c.eventTimeMs, c.value, start, end);
        start = end;
      }
    });
    replay.endOfVehicleRun();
    hoursRead++;
    scannedRows += group.rows;
    report(Math.min(r.toMs, Date.parse(`${group.date}T00:00:00Z`) + (group.hour + 1) * 3_600_000));
  }
  r.signal?.throwIfAborted();
  const transitions = replay.finish();
  const live =
    r.compareLive === false
      ? undefined
      : await liveTransitions(
          r.pool,
          r.ruleId,
          r.vehicles.map((v) => v.vin),
          r.fromMs,
          r.toMs,
        );
  const summary = summarize({
    transitions,
    vehicles: replay.replayedVehicles(),
    flapWindowMs: r.flapWindowMs ?? DEFAULT_FLAP_WINDOW_MS,
    ...(live === undefined ? {} : { live }),
    ...(r.listLimit === undefined ? {} : { listLimit: r.listLimit }),
  });
  report(r.toMs);
  return { summary, transitions, files: files.length, scannedRows, elapsedMs: performance.now() - started };
}
