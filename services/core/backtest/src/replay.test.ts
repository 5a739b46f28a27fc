import { describe, expect, it } from 'vitest';
import { RuleEngine, type AlertTransition } from '@telltale/rules';
import { CATALOG, Drive, signalId, snapshotOf } from '@telltale/rules/testing';
import { RuleReplay } from './replay.js';

const T0 = 1_764_000_000_000;
const RULES = [
  {
    id: 'hot',
    condition: 'cellTemperatureMax > 55',
    for: '3s',
    clear: { condition: 'cellTemperatureMax < 50', for: '2s' },
    message: 'hot {{ cellTemperatureMax }}',
  },
  { id: 'tyre-silent', condition: 'stale(tyrePressureFrontLeft, 5s)', severity: 'major' as const },
  { id: 'current', condition: 'avg(packCurrent, 10s) > 300', clear: { condition: 'avg(packCurrent, 10s) < 250' } },
  { id: 'speed', condition: 'vehicleSpeed > 100', for: '4s' },
];

interface Row {
  readonly vin: string;
  readonly t: number;
  readonly signal: string;
  readonly value: number;
}

/** 60 s of three signals every 130 ms (deadlines fall between samples) (tyre pressure stops at 20 s), then silence. */
function history(vin: string, phase: number): Row[] {
  const rows: Row[] = [];
  for (let ms = 0; ms <= 60_000; ms += 130) {
    const t = T0 + ms;
    const temperature = 45 + 15 * Math.sin((ms + phase) / 7000);
    rows.push({ vin, t, signal: 'cellTemperatureMax', value: Math.round(temperature * 10) / 10 });
    rows.push({ vin, t, signal: 'packCurrent', value: ms % 20_000 < 12_000 ? 350 : 100 });
    if (ms < 20_000 + phase / 10) rows.push({ vin, t, signal: 'tyrePressureFrontLeft', value: 240 });
  }
  // The last sample starts a `for` that only the silence after it completes.
  rows.push({ vin, t: T0 + 60_100, signal: 'vehicleSpeed', value: 120 });
  return rows;
}

/** Live diagnostics' way: one batch per event time as it arrives, then the clock of a silent vehicle advanced. */
function live(rows: readonly Row[], vins: readonly string[], toMs: number): AlertTransition[] {
  const engine = new RuleEngine();
  engine.setRules(snapshotOf(RULES));
  const drive = new Drive(engine);
  const byTime = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const key = `${r.t}|${r.vin}`;
    byTime.set(key, { ...byTime.get(key), [r.signal]: r.value });
  }
  for (const [key, values] of byTime) {
    const [t, vin] = key.split('|');
    drive.at(Number(t), values, { vin: vin! });
  }
  const last = Math.max(...rows.map((r) => r.t));
  // The arrival clock: silence grace (2 s) plus the silence to the end of the range.
  drive.advance(last + 2000 + (toMs - 1 - last));
  return drive.transitions.filter((t) => vins.includes(t.vin));
}

function replayed(rows: readonly Row[], toMs: number, batchRows: number): AlertTransition[] {
  const replay = new RuleReplay(snapshotOf(RULES), { toMs, batchRows });
  // Two "hours": the first half of each vehicle's rows, then the second half, vehicle after vehicle.
  const vins = [...new Set(rows.map((r) => r.vin))];
  const split = T0 + 30_000;
  for (const part of [(r: Row) => r.t < split, (r: Row) => r.t >= split]) {
    for (const vin of vins) {
      for (const r of rows.filter((x) => x.vin === vin && part(x)))
        replay.push(
          { vin, modelId: CATALOG.modelId, fleetId: 'fleet-a', catalogVersion: '1.0.0' },
          signalId(r.signal),
          r.t,
          r.value,
        );
      replay.endOfVehicleRun();
    }
  }
  return [...replay.finish()];
}

const byVehicle = (transitions: readonly AlertTransition[]): Map<string, AlertTransition[]> => {
  const out = new Map<string, AlertTransition[]>();
  for (const t of transitions) out.set(t.vin, [...(out.get(t.vin) ?? []), t]);
  return out;
};

describe('RuleReplay', () => {
  const vins = ['VIN0000000000001', 'VIN0000000000002'];
  const rows = [...history(vins[0]!, 0), ...history(vins[1]!, 3000)].sort((a, b) => a.t - b.t);
  const toMs = T0 + 90_000;

  it('makes exactly the transitions live evaluation makes, for, clear delays and silence timers included', () => {
    const expected = live(rows, vins, toMs);
    // The scenario exercises what it claims to: a `for` raise, a delayed clear, a silence raise, window rules.
    const states = expected.map((t) => `${t.ruleId}:${t.state}:${t.timer}`);
    expect(states).toContain('hot:raised:true');
    expect(states).toContain('hot:cleared:true');
    expect(states).toContain('tyre-silent:raised:true');
    expect(states).toContain('current:raised:false');
    expect(states).toContain('speed:raised:true');
    for (const batchRows of [16, 100, 4096]) {
      const got = replayed(rows, toMs, batchRows);
      expect(byVehicle(got)).toEqual(byVehicle(expected));
    }
  });

  it('never splits one event time over two engine batches', () => {
    // 40 samples at one time do not fit a 16-row buffer: the buffer grows instead.
    const replay = new RuleReplay(snapshotOf(RULES.slice(0, 1)), { toMs: T0 + 10_000, batchRows: 16 });
    const vehicle = { vin: vins[0]!, modelId: CATALOG.modelId, fleetId: 'fleet-a' };
    for (let i = 0; i < 40; i++) replay.push(vehicle, signalId('cellTemperatureMax'), T0, i === 39 ? 70 : 40);
    replay.push(vehicle, signalId('cellTemperatureMax'), T0 + 5000, 70);
    const out = replay.finish();
    // The newest sample at T0 (70) is what the rule saw at T0: pending from T0, raised 3 s later.
    expect(out.map((t) => [t.ruleId, t.state, t.eventTimeMs - T0])).toEqual([['hot', 'raised', 3000]]);
    expect(replay.samples).toBe(41);
    expect(replay.replayedVehicles()).toEqual([
      { vin: vins[0], samples: 41, firstSampleMs: T0, lastSampleMs: T0 + 5000 },
    ]);
  });

  it('fires deadlines up to the end of the range only', () => {
    const vehicle = { vin: vins[0]!, modelId: CATALOG.modelId, fleetId: 'fleet-a' };
    const early = new RuleReplay(snapshotOf(RULES), { toMs: T0 + 2000 });
    early.push(vehicle, signalId('cellTemperatureMax'), T0, 70);
    expect(early.finish()).toEqual([]);
    const late = new RuleReplay(snapshotOf(RULES), { toMs: T0 + 3001 });
    late.push(vehicle, signalId('cellTemperatureMax'), T0, 70);
    expect(late.finish().map((t) => [t.state, t.eventTimeMs - T0, t.timer])).toEqual([['raised', 3000, true]]);
  });
});
