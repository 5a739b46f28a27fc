/**
 * One event-time scenario per rule feature. Times are ms of event time; unless a test says otherwise a batch arrives
 * at its event time, so `advance(now)` moves a silent vehicle's clock to eventTime + (now − lastArrival − 2 s grace).
 */
import { describe, expect, it } from 'vitest';
import { alertId } from './alert.js';
import { Drive } from './test-support.js';

const VIN = 'VIN0000000000001';

describe('rule features, in event time', () => {
  it('arithmetic and logic: raises when the cell spread passes 50 mV, clears when not; evidence and message', () => {
    const d = Drive.of([
      {
        id: 'cell-spread',
        condition: 'cellVoltageMax - cellVoltageMin > 0.05 and not (vehicleSpeed > 200)',
        message: 'Cell spread {{ cellVoltageMax - cellVoltageMin | fixed(3) }} V on {{ vin }} ({{ severity }})',
      },
    ]);
    expect(d.at(0, { cellVoltageMax: 4.0, cellVoltageMin: 3.99, vehicleSpeed: 0 })).toEqual([]);
    const [raised] = d.at(1000, { cellVoltageMax: 4.0, cellVoltageMin: 3.9 });
    expect(raised).toMatchObject({
      alertId: alertId(VIN, 'cell-spread', 1000),
      state: 'raised',
      severity: 'warning',
      ruleId: 'cell-spread',
      ruleVersion: 1,
      eventTimeMs: 1000,
      episodeStartMs: 1000,
      transitionSeq: 1,
      message: `Cell spread 0.100 V on ${VIN} (warning)`,
      fleetId: 'fleet-a',
      modelId: 'test-model',
      catalogVersion: '1.0.0',
      backfill: false,
      timer: false,
    });
    expect(raised!.evidence).toEqual([
      {
        signal: 'cellVoltageMax',
        qualifiedName: 'bms/BMS_CellStats/BMS_CellVoltageMax',
        value: 4.0,
        eventTimeMs: 1000,
        unit: 'V',
      },
      {
        signal: 'cellVoltageMin',
        qualifiedName: 'bms/BMS_CellStats/BMS_CellVoltageMin',
        value: 3.9,
        eventTimeMs: 1000,
        unit: 'V',
      },
      {
        signal: 'vehicleSpeed',
        qualifiedName: 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed',
        value: 0,
        eventTimeMs: 0,
        unit: 'km/h',
      },
    ]);
    d.at(1500, { vehicleSpeed: 10 });
    const [cleared] = d.at(2000, { cellVoltageMin: 3.98 });
    expect(cleared).toMatchObject({ alertId: raised!.alertId, state: 'cleared', transitionSeq: 2, eventTimeMs: 2000 });
    expect(d.summary()).toEqual(['raised@1000 warning', 'cleared@2000 warning']);
  });

  it('value labels and message formats: gear label, DTC code, hex', () => {
    const d = Drive.of([
      {
        id: 'dtc',
        condition: 'BMS_DtcConfirmed == "Yes" and BMS_DtcCode != 0',
        severity: 'major',
        message:
          '{{ BMS_DtcCode | dtc }} ({{ BMS_DtcCode | hex }}) in gear {{ gear | label }}, {{ vehicleSpeed }} km/h, ' +
          'spread {{ cellVoltageMax - cellVoltageMin }}',
      },
    ]);
    const [raised] = d.at(0, { BMS_DtcConfirmed: 1, BMS_DtcCode: 0x0a7f00, gear: 3 });
    expect(raised).toMatchObject({ severity: 'major', message: 'P0A7F-00 (0x0A7F00) in gear D, ? km/h, spread ?' });
  });

  for (const [fn, condition, expectedRaiseAt] of [
    // 10 samples 2000..6500 = 60..150 A, mean 105 (at 6000 the window still holds 1500: 40 A, mean 94).
    ['avg', 'avg(packCurrent, 5s) > 100', 6500],
    // The window's oldest sample, t − 2.5 s, must exceed 100 A: 4500 → 110 A.
    ['min', 'min(packCurrent, 3s) > 100', 7000],
    ['max', 'max(packCurrent, 3s) > 150', 7000],
    // 0, 500 and 1000 ms.
    ['count', 'count(packCurrent, 2s) >= 3', 1000],
    // The largest rise over 2.5 s spans the knee: 40 A at 1.5 s → 100 A at 4 s.
    ['delta', 'delta(packCurrent, 3s) > 55', 4000],
    // (80 − 40) A / 1.5 s = 26.7 A/s at 3 s; 20 A/s before and after.
    ['rate', 'rate(packCurrent, 2s) > 25', 3000],
  ] as const) {
    it(`window function ${fn}(): ${condition}`, () => {
      // packCurrent every 500 ms: 40 A until 1.5 s, then 60 A at 2 s climbing 20 A/s (80 A at 3 s, 100 A at 4 s, ...).
      const d = Drive.of([{ id: fn, condition }]);
      const current = (t: number): number => (t < 2000 ? 40 : 40 + ((t - 1000) / 1000) * 20);
      d.series('packCurrent', 0, 8000, 500, current);
      expect(d.transitions[0]).toMatchObject({ state: 'raised', eventTimeMs: expectedRaiseAt });
      expect(d.transitions[0]!.evidence[0]).toMatchObject({
        signal: `${condition.split(' ')[0]} ${condition.split(' ')[1]}`,
        eventTimeMs: expectedRaiseAt,
      });
    });
  }

  it('a window that empties out is re-evaluated when it does, without new data', () => {
    const d = Drive.of([{ id: 'quiet', condition: 'count(packCurrent, 3s) == 0 and vehicleSpeed >= 0' }]);
    d.series('packCurrent', 0, 2000, 1000, () => 10, { vehicleSpeed: 5 });
    expect(d.advance(4000)).toEqual([]);
    expect(d.advance(7000)).toMatchObject([{ state: 'raised', eventTimeMs: 5000, timer: true }]);
  });

  it('stale() fires when the sensor goes silent, with no new data at all, and clears when it is back', () => {
    const d = Drive.of([
      {
        id: 'tyre-silent',
        condition: 'stale(tyrePressureFrontLeft, 5s)',
        message: 'no TPMS since {{ tyrePressureFrontLeft }} kPa',
      },
    ]);
    d.series('tyrePressureFrontLeft', 0, 2000, 1000, () => 230);
    expect(d.advance(8000)).toEqual([]); // clock 2000 + (8000 − 2000 − 2000 grace) = 6000 < 7000
    const [raised] = d.advance(9000); // clock 7000: the deadline
    expect(raised).toMatchObject({ state: 'raised', eventTimeMs: 7000, timer: true, message: 'no TPMS since 230 kPa' });
    expect(raised!.evidence).toEqual([
      {
        signal: 'tyrePressureFrontLeft',
        qualifiedName: 'chassis/TPMS_Pressures/TPMS_PressureFL',
        value: 230,
        eventTimeMs: 2000,
        unit: 'kPa',
      },
    ]);
    expect(d.advance(60_000)).toEqual([]);
    expect(d.at(61_000, { tyrePressureFrontLeft: 231 })).toMatchObject([
      { state: 'cleared', eventTimeMs: 61_000, timer: false },
    ]);
  });

  it('advance(now, vins) moves only the vehicles named (one partition of a service), skipping unknown ones', () => {
    const d = Drive.of([{ id: 'tyre-silent', condition: 'stale(tyrePressureFrontLeft, 5s)' }]);
    const other = 'VIN0000000000002';
    d.series('tyrePressureFrontLeft', 0, 2000, 1000, () => 230);
    d.at(2000, { tyrePressureFrontLeft: 230 }, { vin: other });
    expect(d.engine.advance(9000, [other, 'VIN-NOT-HELD'])).toMatchObject([
      { vin: other, state: 'raised', eventTimeMs: 7000, timer: true },
    ]);
    expect(d.engine.advance(9000, [])).toEqual([]);
    expect(d.engine.advance(9000)).toMatchObject([{ vin: d.vin, state: 'raised', eventTimeMs: 7000 }]);
  });

  it("stale() of a signal never received counts from the vehicle's first sample", () => {
    const d = Drive.of([{ id: 'never', condition: 'stale(tyrePressureFrontLeft, 5s)' }]);
    d.series('vehicleSpeed', 1000, 7000, 1000, () => 50);
    expect(d.summary()).toEqual(['raised@6000 warning']);
    expect(d.transitions[0]!.evidence).toEqual([
      {
        signal: 'tyrePressureFrontLeft',
        qualifiedName: 'chassis/TPMS_Pressures/TPMS_PressureFL',
        value: null,
        eventTimeMs: null,
        unit: 'kPa',
      },
    ]);
  });

  it('"for": raises when the condition held continuously for the duration, even with no new data', () => {
    const d = Drive.of([{ id: 'hot', condition: 'cellTemperatureMax > 55', for: '10s' }]);
    d.at(0, { cellTemperatureMax: 56 });
    d.at(1000, { cellTemperatureMax: 57 });
    expect(d.engine.ruleStatus(VIN, 'hot')).toMatchObject({ phase: 'pending', nextDeadlineMs: 10_000 });
    expect(d.advance(11_000)).toEqual([]); // clock: 1000 + (11000 − 1000 − 2000 grace) = 9000
    expect(d.advance(12_000)).toMatchObject([{ state: 'raised', eventTimeMs: 10_000 }]); // clock 10000: the deadline
    expect(d.summary()).toEqual(['raised@10000 warning']);
    expect(d.transitions[0]).toMatchObject({ timer: true, episodeStartMs: 0, alertId: alertId(VIN, 'hot', 0) });
  });

  it('"for": fires at the deadline in event time when later data arrives, not at all when the condition breaks', () => {
    const late = Drive.of([{ id: 'hot', condition: 'cellTemperatureMax > 55', for: '10s' }]);
    late.at(0, { cellTemperatureMax: 56 });
    expect(late.at(12_000, { cellTemperatureMax: 56 })).toMatchObject([
      { state: 'raised', eventTimeMs: 10_000, timer: true },
    ]);

    const broken = Drive.of([{ id: 'hot', condition: 'cellTemperatureMax > 55', for: '10s' }]);
    broken.at(0, { cellTemperatureMax: 56 });
    broken.at(9_999, { cellTemperatureMax: 55 });
    broken.at(10_500, { cellTemperatureMax: 56 });
    expect(broken.advance(30_000)).toMatchObject([{ state: 'raised', eventTimeMs: 20_500, episodeStartMs: 10_500 }]);
  });

  it('sequence: "first" then "then" within the window raises; clears when "then" ends', () => {
    const d = Drive.of([
      {
        id: 'reverse-fast',
        sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '5s' },
        severity: 'major',
      },
    ]);
    d.at(0, { gear: 0, vehicleSpeed: 0 });
    d.at(1000, { gear: 1 });
    d.at(2000, { vehicleSpeed: 10 });
    const [raised] = d.at(4000, { vehicleSpeed: 25 });
    expect(raised).toMatchObject({ state: 'raised', eventTimeMs: 4000, severity: 'major' });
    expect(raised!.evidence.map((e) => `${e.signal}=${e.value}@${e.eventTimeMs}`)).toEqual([
      'gear=1@1000',
      'vehicleSpeed=25@4000',
    ]);
    expect(d.at(5000, { vehicleSpeed: 10 })).toMatchObject([{ state: 'cleared', eventTimeMs: 5000 }]);
  });

  it('sequence: nothing when "then" comes after the window, or was already true before "first"', () => {
    const late = Drive.of([
      { id: 'reverse-fast', sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '5s' } },
    ]);
    late.at(0, { gear: 0, vehicleSpeed: 0 });
    late.at(1000, { gear: 1 });
    late.at(7000, { vehicleSpeed: 25 });
    late.at(8000, { vehicleSpeed: 30 });
    expect(late.transitions).toEqual([]);

    const before = Drive.of([
      { id: 'reverse-fast', sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '5s' } },
    ]);
    before.at(0, { gear: 0, vehicleSpeed: 25 });
    before.at(1000, { gear: 1 });
    before.at(2000, { vehicleSpeed: 30 });
    expect(before.transitions).toEqual([]);

    const same = Drive.of([
      { id: 'reverse-fast', sequence: { first: 'gear == "R"', then: 'vehicleSpeed > 20', within: '5s' } },
    ]);
    same.at(0, { gear: 0, vehicleSpeed: 0 });
    same.at(1000, { gear: 1, vehicleSpeed: 25 });
    expect(same.transitions).toEqual([]);
  });

  it('severity ladder: escalates and de-escalates (after clear.for), then clears', () => {
    const d = Drive.of([
      {
        id: 'over-temp',
        ladder: [
          { level: 'warning', when: 'cellTemperatureMax > 55' },
          { level: 'critical', when: 'cellTemperatureMax > 60' },
        ],
        clear: { condition: 'cellTemperatureMax < 50', for: '5s' },
        message: '{{ severity }}: {{ cellTemperatureMax }} °C',
      },
    ]);
    d.at(0, { cellTemperatureMax: 50 });
    d.at(1000, { cellTemperatureMax: 56 });
    d.at(2000, { cellTemperatureMax: 61 });
    d.at(3000, { cellTemperatureMax: 58 });
    d.at(5000, { cellTemperatureMax: 62 }); // critical holds again: no de-escalation yet
    d.at(6000, { cellTemperatureMax: 58 });
    d.advanceVehicle(11_000);
    d.at(12_000, { cellTemperatureMax: 45 });
    d.advanceVehicle(20_000);
    expect(d.summary()).toEqual([
      'raised@1000 warning',
      'escalated@2000 critical',
      'deescalated@11000 warning',
      'cleared@17000 warning',
    ]);
    expect(d.transitions.map((t) => t.transitionSeq)).toEqual([1, 2, 3, 4]);
    expect(d.transitions[1]).toMatchObject({ previousSeverity: 'warning', message: 'critical: 61 °C' });
    expect(new Set(d.transitions.map((t) => t.alertId)).size).toBe(1);
  });

  it('ladder: a "for" step escalates only after it held that long; raises start at the highest step that holds', () => {
    const d = Drive.of([
      {
        id: 'spread',
        condition: 'cellVoltageMax - cellVoltageMin > 0.05',
        ladder: [
          { level: 'warning' },
          { level: 'major', when: 'cellVoltageMax - cellVoltageMin > 0.1' },
          { level: 'critical', when: 'cellVoltageMax - cellVoltageMin > 0.2', for: '3s' },
        ],
      },
    ]);
    d.at(0, { cellVoltageMax: 4.0, cellVoltageMin: 3.85 });
    d.at(1000, { cellVoltageMin: 3.7 });
    d.advanceVehicle(10_000);
    expect(d.summary()).toEqual(['raised@0 major', 'escalated@4000 critical']);
  });

  it('hysteresis: a flapping value raises once, and clears only below the clear threshold for the clear delay', () => {
    const rule = {
      id: 'over-temp',
      condition: 'cellTemperatureMax > 55',
      clear: { condition: 'cellTemperatureMax < 50', for: '30s' },
    };
    const d = Drive.of([rule]);
    const flapping = (t: number): number => (t < 60_000 ? (t % 2000 === 0 ? 54.5 : 55.5) : 45);
    d.series('cellTemperatureMax', 0, 100_000, 1000, flapping);
    expect(d.summary()).toEqual(['raised@1000 warning', 'cleared@90000 warning']);

    // The same signal without hysteresis alerts on every flap.
    const naive = Drive.of([{ id: 'over-temp', condition: 'cellTemperatureMax > 55' }]);
    naive.series('cellTemperatureMax', 0, 100_000, 1000, flapping);
    expect(naive.transitions.filter((t) => t.state === 'raised').length).toBe(30);
  });

  it('clear delay: the clear condition must hold for clear.for; a relapse restarts it', () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 100', clear: { for: '10s' } }]);
    d.at(0, { vehicleSpeed: 120 });
    d.at(1000, { vehicleSpeed: 90 });
    d.at(5000, { vehicleSpeed: 120 });
    d.at(6000, { vehicleSpeed: 90 });
    d.at(15_000, { vehicleSpeed: 90 });
    expect(d.summary()).toEqual(['raised@0 warning']);
    expect(d.advanceVehicle(16_000)).toMatchObject([{ state: 'cleared', eventTimeMs: 16_000, timer: true }]);
  });

  it('reraiseAfter: a new episode within the interval after a raise waits for it, is dropped if it ends first', () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 100', reraiseAfter: '1m' }]);
    d.at(0, { vehicleSpeed: 120 });
    d.at(1000, { vehicleSpeed: 90 });
    d.at(10_000, { vehicleSpeed: 120 });
    d.at(20_000, { vehicleSpeed: 90 });
    d.at(30_000, { vehicleSpeed: 120 });
    d.advanceVehicle(70_000);
    expect(d.summary()).toEqual(['raised@0 warning', 'cleared@1000 warning', 'raised@60000 warning']);
    expect(d.transitions[2]).toMatchObject({ episodeStartMs: 30_000, alertId: alertId(VIN, 'speeding', 30_000) });
  });

  it('backfill: updates state (windows, values) but raises nothing live', () => {
    const d = Drive.of([
      { id: 'speeding', condition: 'vehicleSpeed > 100' },
      { id: 'speeding-avg', condition: 'avg(vehicleSpeed, 1m) > 100' },
    ]);
    d.series('vehicleSpeed', 0, 5000, 1000, () => 120, {});
    const backfilled = Drive.of([
      { id: 'speeding', condition: 'vehicleSpeed > 100' },
      { id: 'speeding-avg', condition: 'avg(vehicleSpeed, 1m) > 100' },
    ]);
    for (let t = 0; t <= 5000; t += 1000)
      backfilled.at(t, { vehicleSpeed: 120 }, { backfill: true, arrivalTimeMs: 100_000 });
    expect(backfilled.transitions).toEqual([]);
    expect(backfilled.advance(200_000)).toEqual([]);
    // A live sample below the threshold: the window still holds the backfilled values.
    expect(backfilled.at(6000, { vehicleSpeed: 100 }).map((t) => `${t.ruleId} ${t.state}@${t.eventTimeMs}`)).toEqual([
      'speeding-avg raised@6000',
    ]);
    expect(d.transitions.length).toBe(2);
  });

  it('backfill: "evaluate" rules do evaluate backfilled data, and say so', () => {
    const d = Drive.of([{ id: 'history', condition: 'vehicleSpeed > 100', for: '2s', backfill: 'evaluate' }]);
    for (let t = 0; t <= 5000; t += 1000)
      d.at(t, { vehicleSpeed: t < 4000 ? 120 : 50 }, { backfill: true, arrivalTimeMs: 100_000 });
    expect(d.transitions.map((t) => `${t.state}@${t.eventTimeMs} backfill=${t.backfill}`)).toEqual([
      'raised@2000 backfill=true',
      'cleared@4000 backfill=true',
    ]);
  });

  it('out-of-order samples: an older sample never replaces the newest value, but counts in windows', () => {
    const d = Drive.of([
      { id: 'speeding', condition: 'vehicleSpeed > 100' },
      { id: 'peak', condition: 'max(vehicleSpeed, 10s) > 100' },
    ]);
    d.at(2000, { vehicleSpeed: 50 });
    const result = d.engine.ingest({
      vin: VIN,
      modelId: 'test-model',
      fleetId: 'fleet-a',
      catalogVersion: '1.0.0',
      signalIds: [4, 4],
      values: [150, 60],
      timesMs: [1000, 1500],
      arrivalTimeMs: 2500,
    });
    expect(result).toMatchObject({ late: 2, applied: 2 });
    expect(result.transitions.map((t) => `${t.ruleId} ${t.state}@${t.eventTimeMs}`)).toEqual(['peak raised@2000']);
    expect(result.transitions[0]!.evidence).toEqual([
      {
        signal: 'max(vehicleSpeed, 10s)',
        qualifiedName: 'powertrain/VCU_VehicleStatus/VCU_VehicleSpeed',
        value: 150,
        eventTimeMs: 2000,
        unit: 'km/h',
      },
    ]);
  });

  it('scope: a rule applies only to the fleets, models and vehicles it names', () => {
    const d = Drive.of([
      { id: 'fleet-b-only', condition: 'vehicleSpeed > 100', scope: { fleets: ['fleet-b'] } },
      { id: 'this-vin', condition: 'vehicleSpeed > 100', scope: { vins: [VIN], models: ['test-model'] } },
    ]);
    d.at(0, { vehicleSpeed: 120 });
    expect(d.transitions.map((t) => t.ruleId)).toEqual(['this-vin']);
  });

  it('drops samples from a device clock far in the future, and non-finite values', () => {
    const d = Drive.of([{ id: 'speeding', condition: 'vehicleSpeed > 100' }]);
    const result = d.engine.ingest({
      vin: VIN,
      modelId: 'test-model',
      signalIds: [4, 4, 4],
      values: [120, NaN, 130],
      timesMs: [10_000_000, 1000, 2000],
      arrivalTimeMs: 2000,
    });
    expect(result).toMatchObject({ droppedFuture: 1, droppedInvalid: 1, applied: 1 });
    expect(result.transitions).toMatchObject([{ eventTimeMs: 2000 }]);
  });
});
