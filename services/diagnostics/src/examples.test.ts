/**
 * The example rules in rules/examples/ against the real vehicle models: each compiles cleanly for both, and each
 * detects the fault the simulator injects (cell imbalance, over-temperature, a silent sensor, a BMS DTC), driven by
 * samples shaped like the simulator's, with the signal ids of each model's catalog.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CATALOG_DIR, loadCatalog, type Catalog } from '@telltale/catalog';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileRules, formatRuleProblem, RuleEngine, type AlertTransition, type RuleSnapshot } from '@telltale/rules';

const EXAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../rules/examples');
const MODELS = ['aurora-ev-2026', 'cargo-van-e-2025'] as const;

const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')) as { id: string });

let catalogs: Catalog[];
let snapshot: RuleSnapshot;

beforeAll(async () => {
  catalogs = await Promise.all(MODELS.map((m) => loadCatalog(join(BUNDLED_CATALOG_DIR, m))));
  const result = compileRules(examples, catalogs);
  expect(result.problems.map(formatRuleProblem)).toEqual([]);
  snapshot = result.snapshot;
});

/** Feeds one vehicle of `model` one batch per second; `values(t)`: the signals (by alias or name) of that second. */
function drive(
  model: (typeof MODELS)[number],
  seconds: number,
  values: (t: number) => Record<string, number>,
): AlertTransition[] {
  const catalog = catalogs.find((c) => c.modelId === model)!;
  const id = (name: string): number => {
    const signal = catalog.aliases.get(name) ?? [...catalog.byQualifiedName.values()].find((s) => s.name === name);
    if (signal === undefined) throw new Error(`${model} has no ${name}`);
    return signal.id;
  };
  const engine = new RuleEngine();
  engine.setRules(snapshot);
  const out: AlertTransition[] = [];
  for (let s = 0; s <= seconds; s++) {
    const t = 1_700_000_000_000 + s * 1000;
    const v = values(s);
    const names = Object.keys(v);
    out.push(
      ...engine.ingest({
        vin: `${model}-VIN`,
        modelId: model,
        fleetId: 'demo',
        catalogVersion: catalog.catalogVersion,
        signalIds: names.map(id),
        values: names.map((n) => v[n]!),
        timesMs: names.map(() => t),
        arrivalTimeMs: t + 300,
      }).transitions,
    );
    out.push(...engine.advance(t + 1000));
  }
  return out;
}

const summary = (transitions: readonly AlertTransition[]): string[] =>
  transitions.map((t) => `${t.ruleId} ${t.state} ${t.severity} @${(t.eventTimeMs - 1_700_000_000_000) / 1000}s`);

/** A healthy vehicle driving: what every scenario starts from. */
const healthy = (t: number): Record<string, number> => ({
  vehicleSpeed: 60 + 10 * Math.sin(t / 10),
  cellVoltageMax: 3.912 + 0.002 * Math.sin(t),
  cellVoltageMin: 3.896,
  cellTemperatureMax: 31,
  cellTemperatureMin: 28,
  tyrePressureFrontLeft: 240,
  BMS_DtcConfirmed: 0,
  BMS_DtcWarningLamp: 0,
  BMS_DtcCode: 0,
  BMS_DtcOccurrences: 0,
});

describe('example rules', () => {
  it('are valid rules for both vehicle models, one per simulator fault', () => {
    expect(examples.map((e) => e.id)).toEqual([
      'bms.dtc-confirmed',
      'bms.cell-imbalance',
      'bms.cell-over-temperature',
      'chassis.tpms-front-left-silent',
    ]);
    for (const model of MODELS) expect(snapshot.models.get(model)!.rules).toHaveLength(4);
  });

  for (const model of MODELS) {
    describe(model, () => {
      it('stay quiet on a healthy vehicle', () => {
        expect(drive(model, 300, healthy)).toEqual([]);
      });

      it('detect a cell imbalance: one cell falling 4 mV/s', () => {
        // From 10 s on, the minimum falls 4 mV/s from 3.896 V: the spread passes 50 mV at 19 s (raised 10 s later),
        // 100 mV at 32 s (critical 5 s later).
        const out = drive(model, 60, (t) => ({ ...healthy(t), cellVoltageMin: 3.896 - Math.max(0, t - 10) * 0.004 }));
        expect(summary(out)).toEqual([
          'bms.cell-imbalance raised warning @29s',
          'bms.cell-imbalance escalated critical @37s',
        ]);
        expect(out[0]!.message).toBe(`Cell voltage spread 91 mV (3.820 to 3.911 V) on ${model}-VIN`);
      });

      it('detect an over-temperature, de-escalate as it cools, and clear once below 50 °C for 30 s', () => {
        // A hot spot ramps 0.5 °C/s from 10 s (31 → 80 °C): above 55 °C at 59 s, above 60 °C at 69 s. From 120 s it
        // cools 0.25 °C/s: 60 °C at 200 s (de-escalated 30 s later), below 50 °C at 241 s (cleared 30 s later).
        const temperature = (t: number): number =>
          t < 10 ? 31 : t < 120 ? Math.min(80, 31 + (t - 10) * 0.5) : Math.max(31, 80 - (t - 120) * 0.25);
        const out = drive(model, 300, (t) => ({ ...healthy(t), cellTemperatureMax: temperature(t) }));
        expect(summary(out)).toEqual([
          'bms.cell-over-temperature raised warning @59s',
          'bms.cell-over-temperature escalated critical @74s',
          'bms.cell-over-temperature deescalated warning @230s',
          'bms.cell-over-temperature cleared warning @271s',
        ]);
      });

      it('detect a silent tyre pressure sensor while the vehicle keeps reporting, with no data from the sensor', () => {
        const out = drive(model, 60, (t) => {
          const v = healthy(t);
          if (t >= 20) delete (v as Partial<Record<string, number>>).tyrePressureFrontLeft;
          return v;
        });
        expect(summary(out)).toEqual(['chassis.tpms-front-left-silent raised warning @24s']);
        expect(out[0]!.message).toBe(`No front-left tyre pressure on ${model}-VIN (last 240 kPa)`);
      });

      it('raise nothing for a sensor when the whole vehicle goes offline', () => {
        const out = drive(model, 60, (t) => (t < 20 ? healthy(t) : {}));
        expect(out).toEqual([]);
      });

      it('detect a confirmed BMS DTC with the warning lamp on', () => {
        const out = drive(model, 30, (t) => ({
          ...healthy(t),
          ...(t >= 10
            ? { BMS_DtcConfirmed: 1, BMS_DtcWarningLamp: 1, BMS_DtcCode: 0x0a7f00, BMS_DtcOccurrences: 1 }
            : {}),
        }));
        expect(summary(out)).toEqual(['bms.dtc-confirmed raised major @10s']);
        expect(out[0]!.message).toBe(`BMS reports DTC P0A7F-00 (1 occurrences) on ${model}-VIN`);
        expect(out[0]!.evidence.map((e) => `${e.qualifiedName}=${e.value}`)).toEqual(
          model === 'aurora-ev-2026'
            ? [
                'bms/BMS_DtcStatus/BMS_DtcConfirmed=1',
                'bms/BMS_DtcStatus/BMS_DtcWarningLamp=1',
                'bms/BMS_DtcStatus/BMS_DtcCode=687872',
              ]
            : [
                'powertrain/BMS_DtcStatus/BMS_DtcConfirmed=1',
                'powertrain/BMS_DtcStatus/BMS_DtcWarningLamp=1',
                'powertrain/BMS_DtcStatus/BMS_DtcCode=687872',
              ],
        );
      });
    });
  }
});
