/**
 * Test helpers (not exported from the package): a small catalog with the aliases the rules use, and a driver that
 * feeds an engine samples by signal name, one batch per event time, the way a T-Box would send them.
 */
import type { RuleCatalog, RuleCatalogSignal } from './catalog-view.js';
import { compileRules, type RuleSnapshot } from './compile-rules.js';
import type { AlertTransition } from './alert.js';
import { RuleEngine, type RuleEngineOptions } from './engine.js';
import type { RuleDefinition } from './rule-definition.js';
import { formatRuleProblem } from './problems.js';

type SignalSpec = [
  qualifiedName: string,
  unit: string,
  alias?: string,
  staleAfterMs?: number,
  choices?: Record<string, string>,
];

const SPECS: SignalSpec[] = [
  ['bms/BMS_CellStats/BMS_CellVoltageMax', 'V', 'cellVoltageMax', 2000],
  ['bms/BMS_CellStats/BMS_CellVoltageMin', 'V', 'cellVoltageMin', 2000],
  ['bms/BMS_CellStats/BMS_CellTempMax', '°C', 'cellTemperatureMax', 2000],
  ['chassis/TPMS_Pressures/TPMS_PressureFL', 'kPa', 'tyrePressureFrontLeft', 3000],
  ['powertrain/VCU_VehicleStatus/VCU_VehicleSpeed', 'km/h', 'vehicleSpeed', 2000],
  [
    'powertrain/VCU_VehicleStatus/VCU_GearActual',
    '',
    'gear',
    2000,
    { 0: 'P', 1: 'R', 2: 'N', 3: 'D', 4: 'B', 7: 'SNA' },
  ],
  ['bms/BMS_PackStatus/BMS_PackCurrent', 'A', 'packCurrent', 2000],
  ['bms/BMS_DtcStatus/BMS_DtcCode', '', undefined, 3000],
  ['bms/BMS_DtcStatus/BMS_DtcConfirmed', '', undefined, 3000, { 0: 'No', 1: 'Yes' }],
  ['body/BCM_Doors/Counter', '', undefined, 2000],
  ['body/BCM_Lights/Counter', '', undefined, 2000],
  ['powertrain/VCU_Odometer/VCU_Odometer', 'km', 'odometer', undefined],
];

export function testCatalog(modelId = 'test-model', specs: readonly SignalSpec[] = SPECS): RuleCatalog {
  const signals: RuleCatalogSignal[] = specs.map(([qualifiedName, unit, , staleAfterMs, choices], id) => ({
    id,
    name: qualifiedName.split('/')[2]!,
    qualifiedName,
    unit,
    staleAfterMs,
    choices: new Map(Object.entries(choices ?? {})),
  }));
  const aliases = new Map<string, RuleCatalogSignal>();
  specs.forEach(([, , alias], id) => {
    if (alias !== undefined) aliases.set(alias, signals[id]!);
  });
  return {
    modelId,
    catalogVersion: '1.0.0',
    signals,
    byQualifiedName: new Map(signals.map((s) => [s.qualifiedName, s])),
    aliases,
  };
}

export const CATALOG = testCatalog();

/** Compiles rules against the test catalog and fails loudly on any problem. */
export function snapshotOf(
  rules: readonly Partial<RuleDefinition>[],
  catalogs: readonly RuleCatalog[] = [CATALOG],
): RuleSnapshot {
  const full = rules.map((r, i) => ({ id: `rule-${i}`, version: 1, message: '{{ ruleId }}', ...r }));
  const { snapshot, problems } = compileRules(full, catalogs);
  if (problems.length > 0) throw new Error(problems.map(formatRuleProblem).join('\n'));
  return snapshot;
}

export function signalId(name: string, catalog: RuleCatalog = CATALOG): number {
  const signal =
    catalog.aliases.get(name) ??
    catalog.byQualifiedName.get(name) ??
    [...catalog.byQualifiedName.values()].find((s) => s.name === name);
  if (signal === undefined) throw new Error(`no signal ${name}`);
  return signal.id;
}

export interface FeedOptions {
  readonly vin?: string;
  readonly fleetId?: string;
  readonly backfill?: boolean;
  /** Arrival time; default: the event time (no latency). */
  readonly arrivalTimeMs?: number;
  readonly catalog?: RuleCatalog;
}

/** A vehicle driven by a test: `at(t, { cellVoltageMax: 4.1 })` sends one batch, collecting every transition. */
export class Drive {
  readonly transitions: AlertTransition[] = [];
  constructor(
    readonly engine: RuleEngine,
    readonly vin = 'VIN0000000000001',
    readonly catalog: RuleCatalog = CATALOG,
  ) {}

  static of(rules: readonly Partial<RuleDefinition>[], options?: RuleEngineOptions): Drive {
    const engine = new RuleEngine(options);
    engine.setRules(snapshotOf(rules));
    return new Drive(engine);
  }

  at(t: number, values: Readonly<Record<string, number>>, options: FeedOptions = {}): AlertTransition[] {
    const names = Object.keys(values);
    const result = this.engine.ingest({
      vin: options.vin ?? this.vin,
      modelId: this.catalog.modelId,
      fleetId: options.fleetId ?? 'fleet-a',
      catalogVersion: this.catalog.catalogVersion,
      signalIds: names.map((n) => signalId(n, this.catalog)),
      values: names.map((n) => values[n]!),
      timesMs: names.map(() => t),
      backfill: options.backfill ?? false,
      arrivalTimeMs: options.arrivalTimeMs ?? t,
    });
    this.transitions.push(...result.transitions);
    return result.transitions;
  }

  /** One signal sampled every `stepMs` from `from` to `to` inclusive, value from `f(t)`. */
  series(
    name: string,
    from: number,
    to: number,
    stepMs: number,
    f: (t: number) => number,
    extra: Readonly<Record<string, number>> = {},
  ): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (let t = from; t <= to; t += stepMs) out.push(...this.at(t, { [name]: f(t), ...extra }));
    return out;
  }

  advance(nowMs: number): AlertTransition[] {
    const out = this.engine.advance(nowMs);
    this.transitions.push(...out);
    return out;
  }

  advanceVehicle(eventTimeMs: number): AlertTransition[] {
    const out = this.engine.advanceVehicle(this.vin, eventTimeMs);
    this.transitions.push(...out);
    return out;
  }

  /** `state@time severity`, compact for assertions. */
  summary(): string[] {
    return this.transitions.map((t) => `${t.state}@${t.eventTimeMs} ${t.severity}`);
  }
}
