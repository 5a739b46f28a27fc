/**
 * The labelled dataset of `telltale model dataset`: simulated vehicles (the simulator's physics, stepped once per
 * second; half healthy, half with one slowly developing fault starting at a time the simulator knows) run through
 * the same feature computation as the features service (@telltale/feature-sets VehicleWindows) and through the
 * threshold rules (@telltale/rules RuleEngine), so the dataset also knows when a threshold rule first fired.
 *
 * Label of a window = a fault is active at its end or starts within the next `horizonMin` minutes. Vehicles are split
 * by vehicle: train and test fleets come from different seeds, so no vehicle is in both.
 *
 * Each vehicle has already been driving for a random 0 … `warmupMaxMin` minutes when its recording starts (the windows
 * and rules run through that time; its rows are not written), and onsets fall 15–60 min into the recording: so a
 * fault's start is not tied to the drive's cold start, and a model cannot score "early in the drive" as "faulty".
 *
 * The samples are the physics quantities behind the catalog's aliases (the same bindings the live simulator encodes
 * into CAN frames), not frames decoded again: hours of premium-EV traffic per vehicle would take hours to encode and
 * decode; what the features read is the same quantity, without the DBC scaling's rounding.
 */
import type { Catalog } from '@telltale/catalog';
import type { ModelFeatureSet } from '@telltale/feature-sets';
import { VehicleWindows } from '@telltale/feature-sets';
import { RuleEngine, type RuleSnapshot } from '@telltale/rules';
import {
  AURORA_SPEC,
  Rng,
  VehiclePhysics,
  aliasQuantity,
  startSlowFault,
  type ResolvedFault,
} from '@telltale/simulator';

export const DATASET_FAULTS = ['cell-self-discharge', 'coolant-pump-wear', 'tyre-slow-leak'] as const;

export interface DatasetRow {
  readonly vin: string;
  readonly windowEndMs: number;
  readonly values: readonly number[];
  readonly label: 0 | 1;
}

export interface SimulatedVehicle {
  readonly vin: string;
  /** 'healthy' or the fault kind. */
  readonly fault: string;
  readonly onsetMs: number | null;
  /** How long it had been driving when recording started (startMs), s. */
  readonly warmupS: number;
  /** First time a threshold rule raised on this vehicle (event time), or null. */
  readonly ruleFiredMs: number | null;
  readonly ruleId: string | null;
  readonly startMs: number;
  readonly endMs: number;
  readonly rows: DatasetRow[];
}

export interface SimulateOptions {
  readonly seed: string;
  readonly index: number;
  readonly hours: number;
  readonly horizonMin: number;
  /** Share of healthy vehicles (0..1). */
  readonly healthyShare: number;
  /**
   * Each vehicle has been driving for a random 0 … this many minutes when recording starts (its windows and rules run
   * through it, no rows are written), so neither a fault's onset nor the label is tied to a cold start.
   */
  readonly warmupMaxMin: number;
  readonly set: ModelFeatureSet;
  readonly catalog: Catalog;
  readonly rules: RuleSnapshot;
}

const START_MS = Date.UTC(2026, 0, 5, 6);

export function simulateVehicle(o: SimulateOptions): SimulatedVehicle {
  const rng = Rng.derive(o.seed, 'dataset', o.index);
  const vin = `SIM${o.seed
    .replace(/[^A-Z0-9]/gi, '')
    .toUpperCase()
    .slice(0, 6)
    .padEnd(6, '0')}${String(o.index).padStart(8, '0')}`;
  const physics = new VehiclePhysics(AURORA_SPEC, { seed: o.seed, label: `vehicle-${o.index}` });
  const healthy = rng.next() < o.healthyShare;
  const kind = healthy ? undefined : DATASET_FAULTS[rng.int(DATASET_FAULTS.length)]!;
  const onsetS = healthy ? Infinity : Math.round(rng.range(0.25, 1) * 3600);
  const fault: ResolvedFault | undefined =
    kind === 'cell-self-discharge'
      ? { kind, cell: rng.int(AURORA_SPEC.cellsInSeries) }
      : kind === 'tyre-slow-leak'
        ? { kind, wheel: rng.int(4) }
        : kind === 'coolant-pump-wear'
          ? { kind }
          : undefined;
  const warmupS = Math.round(rng.range(0, o.warmupMaxMin) * 60);

  const aliases = new Set<string>();
  for (const f of o.set.features) for (const id of f.deps) aliases.add(aliasOf(o.catalog, id));
  for (const id of o.rules.models.get(o.catalog.modelId)?.interest.keys() ?? []) aliases.add(aliasOf(o.catalog, id));
  const inputs = [...aliases].map((alias) => {
    const read = aliasQuantity(alias);
    if (read === undefined) throw new Error(`the simulator has no physics behind alias ${alias}`);
    return { id: o.catalog.aliases.get(alias)!.id, read };
  });
  const ids = Uint32Array.from(inputs.map((i) => i.id));
  const values = new Float64Array(inputs.length);
  const times = new Float64Array(inputs.length);
  const windows = new VehicleWindows(vin, o.set);
  const engine = new RuleEngine();
  engine.setRules(o.rules);
  const rows: DatasetRow[] = [];
  const onsetMs = healthy ? null : START_MS + onsetS * 1000;
  let ruleFiredMs: number | null = null;
  let ruleId: string | null = null;
  const seconds = Math.round(o.hours * 3600);
  for (let t = 1 - warmupS; t <= seconds; t++) {
    physics.step(1);
    if (fault !== undefined && t === onsetS) startSlowFault(physics, fault);
    const nowMs = START_MS + t * 1000;
    for (let i = 0; i < inputs.length; i++) values[i] = inputs[i]!.read(physics.state);
    times.fill(nowMs);
    for (const w of windows.ingest(ids, values, times).closed) {
      if (w.windowEndMs <= START_MS) continue; // still warming up: not recorded
      const label = onsetMs !== null && w.windowEndMs + o.horizonMin * 60_000 >= onsetMs ? 1 : 0;
      rows.push({ vin, windowEndMs: w.windowEndMs, values: Array.from(w.values), label });
    }
    const { transitions } = engine.ingest({
      vin,
      modelId: o.catalog.modelId,
      signalIds: ids,
      values,
      timesMs: times,
      arrivalTimeMs: nowMs,
    });
    if (ruleFiredMs === null && t > 0) {
      const raised = transitions.find((x) => x.state === 'raised');
      if (raised !== undefined) {
        ruleFiredMs = raised.eventTimeMs;
        ruleId = raised.ruleId;
      }
    }
  }
  return {
    vin,
    fault: kind ?? 'healthy',
    onsetMs,
    warmupS,
    ruleFiredMs,
    ruleId,
    startMs: START_MS,
    endMs: START_MS + seconds * 1000,
    rows,
  };
}

function aliasOf(catalog: Catalog, id: number): string {
  for (const [alias, signal] of catalog.aliases) if (signal.id === id) return alias;
  throw new Error(`signal ${catalog.signals[id]?.qualifiedName ?? id} has no alias; the dataset reads aliases only`);
}

/** CSV of rows: vin, window_end_ms, label, then one column per feature (empty: no value). */
export function rowsToCsv(featureNames: readonly string[], rows: readonly DatasetRow[]): string {
  const lines = [['vin', 'window_end_ms', 'label', ...featureNames].join(',')];
  for (const r of rows)
    lines.push(
      [r.vin, r.windowEndMs, r.label, ...r.values.map((v) => (Number.isFinite(v) ? String(v) : ''))].join(','),
    );
  return `${lines.join('\n')}\n`;
}

export function csvToRows(text: string): { featureNames: string[]; rows: DatasetRow[] } {
  const [head = '', ...lines] = text.trim().split('\n');
  const featureNames = head.split(',').slice(3);
  const rows = lines.map((line) => {
    const cells = line.split(',');
    return {
      vin: cells[0]!,
      windowEndMs: Number(cells[1]),
      label: cells[2] === '1' ? (1 as const) : (0 as const),
      values: cells.slice(3).map((c) => (c === '' ? NaN : Number(c))),
    };
  });
  return { featureNames, rows };
}
