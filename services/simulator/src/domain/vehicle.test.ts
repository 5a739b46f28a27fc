/**
 * Simulated CAN traffic decoded with the platform's own decoders (compileCatalog): every frame decodes, messages keep
 * their cycle times, multiplexed pages cycle, E2E counters count, and the fault scenarios show up in the signals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { compileCatalog, decodeFrame, loadCatalog, type CompiledCatalog } from '../core-api.js';
import { crc8J1850 } from './crc.js';
import { assignFaults, parseFaultSpec } from './faults.js';
import { FrameBuffer, type FrameColumns } from './frames.js';
import { buildSimModel, FRAME_FLAG_EXTENDED, FRAME_FLAG_FD, type SimModel } from './model.js';
import { VehicleSimulator } from './vehicle.js';

const modelDir = (id: string): string => fileURLToPath(new URL(`../../../../signal-catalog/${id}`, import.meta.url));

interface Decoded {
  readonly timeUs: number;
  readonly bus: number;
  readonly message: string;
  readonly signals: Record<string, number | string | null>;
  readonly raw: Uint8Array;
}

function decodeAll(
  compiled: CompiledCatalog,
  frames: FrameColumns,
  only?: ReadonlySet<number>,
): { decoded: Decoded[]; errors: string[] } {
  const decoded: Decoded[] = [];
  const errors: string[] = [];
  let offset = 0;
  for (let i = 0; i < frames.count; i++) {
    const data = frames.data.subarray(offset, offset + frames.length[i]!);
    offset += frames.length[i]!;
    if (only && !only.has(frames.canId[i]!)) continue;
    const db = compiled.decoderFor(frames.bus[i]!);
    const result = db
      ? decodeFrame(db, { id: frames.canId[i]!, extended: (frames.flags[i]! & FRAME_FLAG_EXTENDED) !== 0, data })
      : undefined;
    if (!result?.ok) {
      errors.push(result ? result.error : `no bus ${frames.bus[i]}`);
      continue;
    }
    decoded.push({
      timeUs: frames.timeUs[i]!,
      bus: frames.bus[i]!,
      message: result.message,
      signals: result.signals,
      raw: data,
    });
  }
  return { decoded, errors };
}

function simulate(
  model: SimModel,
  seconds: number,
  options: ConstructorParameters<typeof VehicleSimulator>[1] = { seed: 1, index: 0 },
): FrameColumns {
  const sim = new VehicleSimulator(model, options);
  const buffer = new FrameBuffer();
  for (let s = 1; s <= seconds; s++) sim.run(s * 1_000_000, buffer);
  return buffer.take();
}

const lastValue = (decoded: readonly Decoded[], signal: string): number => {
  for (let i = decoded.length - 1; i >= 0; i--) {
    const v = decoded[i]!.signals[signal];
    if (typeof v === 'number') return v;
  }
  return NaN;
};

describe('vehicle simulator (aurora-ev-2026, decoded by the catalog decoders)', () => {
  let model: SimModel;
  let compiled: CompiledCatalog;
  let frames: FrameColumns;
  let decoded: Decoded[];

  beforeAll(async () => {
    const catalog = await loadCatalog(modelDir('aurora-ev-2026'));
    model = buildSimModel(catalog);
    compiled = compileCatalog(catalog);
    frames = simulate(model, 20);
    const result = decodeAll(compiled, frames);
    expect(result.errors.slice(0, 5)).toEqual([]);
    decoded = result.decoded;
  }, 60_000);

  it('sends every message at its cycle time, in time order, on its bus', () => {
    for (let i = 1; i < frames.count; i++) expect(frames.timeUs[i]!).toBeGreaterThanOrEqual(frames.timeUs[i - 1]!);
    const counts = new Map<string, number>();
    for (const d of decoded) counts.set(`${d.bus}/${d.message}`, (counts.get(`${d.bus}/${d.message}`) ?? 0) + 1);
    for (const m of model.messages) {
      const expected = 20_000_000 / m.cycleUs;
      const got = counts.get(`${m.busIndex}/${m.message.name}`) ?? 0;
      expect(Math.abs(got - expected), `${m.message.name}`).toBeLessThanOrEqual(1);
    }
    expect(frames.count).toBeGreaterThan(model.framesPerSecond * 20 - model.messages.length);
  });

  it('flags CAN FD frames and uses the message length', () => {
    const fd = model.messages.find((m) => m.message.length > 8)!;
    let offset = 0;
    for (let i = 0; i < frames.count; i++) {
      if (frames.canId[i] === fd.message.frameId && frames.bus[i] === fd.busIndex) {
        expect(frames.flags[i]! & FRAME_FLAG_FD).toBe(FRAME_FLAG_FD);
        expect(frames.length[i]).toBe(fd.message.length);
        break;
      }
      offset += frames.length[i]!;
    }
    expect(offset).toBeGreaterThanOrEqual(0);
  });

  it('cycles through the multiplexer pages (all 108 cell voltages arrive)', () => {
    const cells = new Set<string>();
    for (const d of decoded)
      if (d.message === 'BMS_CellVoltages')
        for (const name of Object.keys(d.signals)) if (name.startsWith('CellVoltage_')) cells.add(name);
    expect(cells.size).toBe(108);
    const modules = decoded
      .filter((d) => d.message === 'BMS_CellVoltages')
      .slice(0, 24)
      .map((d) => d.signals.BMS_CellVModule);
    expect(modules.slice(0, 12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('counts E2E alive counters 0..14 and computes the CRC-8 J1850 over data id and payload', () => {
    const status = decoded.filter((d) => d.message === 'BMS_PackStatus');
    const counters = status.slice(0, 20).map((d) => d.signals.BMS_PackStatus_Counter);
    expect(counters.slice(0, 16)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0]);
    for (const d of status.slice(0, 20))
      expect(d.signals.BMS_PackStatus_Crc).toBe(crc8J1850(128, d.raw, 0, d.raw.length, 0));
  });

  it('drives the manifest aliases from the physics: consistent pack values, cells on the pack, plausible', () => {
    const packV = lastValue(decoded, 'BMS_PackVoltage');
    const cellAvg = lastValue(decoded, 'BMS_CellVoltageAvg');
    expect(packV).toBeGreaterThan(300);
    expect(packV).toBeLessThan(460);
    expect(packV / 108).toBeCloseTo(cellAvg, 1);
    const soc = lastValue(decoded, 'BMS_SocDisplayed');
    expect(soc).toBeGreaterThan(40);
    expect(soc).toBeLessThanOrEqual(100);
    const cellTemps = Object.entries(decoded.filter((d) => d.message === 'BMS_CellTemps').at(-1)!.signals).filter(
      ([k]) => k.startsWith('CellTemp_'),
    );
    for (const [, t] of cellTemps) expect(t as number).toBeGreaterThan(-10);
    expect(lastValue(decoded, 'IBS_BatteryVoltage')).toBeGreaterThan(11.5);
    expect(lastValue(decoded, 'TPMS_PressureFL')).toBeGreaterThan(200);
    expect(
      decoded.some((d) => d.signals.VCU_VehicleSpeed !== undefined && (d.signals.VCU_VehicleSpeed as number) > 5),
    ).toBe(true);
    // Healthy: no DTC, no fault flags.
    expect(lastValue(decoded, 'BMS_DtcCode')).toBe(0);
    expect(lastValue(decoded, 'BMS_FltCellImbalance')).toBe(0);
  });

  it('is deterministic: same seed and index, same bytes', () => {
    const again = simulate(model, 3);
    const first = simulate(model, 3);
    expect(Buffer.compare(Buffer.from(again.data), Buffer.from(first.data))).toBe(0);
    const other = simulate(model, 3, { seed: 1, index: 1 });
    expect(Buffer.compare(Buffer.from(other.data), Buffer.from(first.data))).not.toBe(0);
  });

  it('produces the same frames whatever the window boundaries', () => {
    const whole = simulate(model, 2);
    const sim = new VehicleSimulator(model, { seed: 1, index: 0 });
    const buffer = new FrameBuffer();
    for (const until of [333_333, 1_000_000, 1_250_000, 2_000_000]) sim.run(until, buffer);
    const pieces = buffer.take();
    expect(pieces.count).toBe(whole.count);
    expect(Buffer.compare(Buffer.from(pieces.data), Buffer.from(whole.data))).toBe(0);
  });

  describe('fault scenarios', () => {
    /** Frames of the named messages (any bus) from a vehicle with the fault from 5 s on. */
    const faulty = (spec: string, seconds: number, messages: readonly string[]): Decoded[] => {
      const faults = assignFaults([parseFaultSpec(spec)], model, 1, 1).get(0) ?? [];
      const ids = new Set(
        model.messages.filter((m) => messages.includes(m.message.name)).map((m) => m.message.frameId),
      );
      const out = decodeAll(compiled, simulate(model, seconds, { seed: 1, index: 0, faults, faultAfterS: 5 }), ids);
      expect(out.errors).toEqual([]);
      return out.decoded;
    };

    it('cell-imbalance: the chosen cell drifts low, min and delta follow', () => {
      const d = faulty('cell-imbalance@17', 60, ['BMS_CellStats', 'BMS_CellVoltages']);
      const late = d.filter((x) => x.timeUs > 55e6);
      expect(lastValue(late, 'BMS_CellVoltageMinId')).toBe(17);
      expect(lastValue(late, 'BMS_CellVoltageDelta')).toBeGreaterThan(0.15);
      expect(lastValue(late, 'CellVoltage_017')).toBeLessThan(lastValue(late, 'CellVoltage_018') - 0.15);
      const early = d.filter((x) => x.timeUs < 4e6);
      expect(lastValue(early, 'BMS_CellVoltageDelta')).toBeLessThan(0.05);
    });

    it('over-temperature: the module cell and module temperatures pass 60 °C', () => {
      const d = faulty('over-temperature@2', 70, ['BMS_CellStats', 'BMS_CellTemps']);
      const late = d.filter((x) => x.timeUs > 67e6);
      expect(lastValue(late, 'BMS_CellTempMax')).toBeGreaterThan(60);
      expect(lastValue(late, 'ModuleTempMax_02')).toBeGreaterThan(60);
      expect(lastValue(late, 'CellTemp_010')).toBeGreaterThan(60);
      expect(lastValue(late, 'ModuleTempMax_05')).toBeLessThan(50);
    });

    it('sensor-silent: the message stops after the fault starts', () => {
      const d = faulty('sensor-silent@TPMS_Pressures', 12, ['TPMS_Pressures', 'TPMS_Status']);
      const tpms = d.filter((x) => x.message === 'TPMS_Pressures');
      expect(tpms.length).toBeGreaterThan(0);
      expect(tpms.every((x) => x.timeUs < 5.1e6)).toBe(true);
      expect(d.some((x) => x.message === 'TPMS_Status' && x.timeUs > 6e6)).toBe(true);
    });

    it('dtc: the ECU reports a confirmed active code and asks for its lamp', () => {
      const d = faulty('dtc@BMS=0x0AA600', 8, ['BMS_DtcStatus', 'BMS_Health']);
      const before = d.filter((x) => x.message === 'BMS_DtcStatus' && x.timeUs < 4.9e6);
      const after = d.filter((x) => x.message === 'BMS_DtcStatus' && x.timeUs > 5.2e6);
      expect(before.every((x) => x.signals.BMS_DtcCode === 0)).toBe(true);
      expect(after.length).toBeGreaterThan(0);
      for (const x of after) {
        expect(x.signals.BMS_DtcCode).toBe(0x0aa600);
        expect(x.signals.BMS_DtcTestFailed).toBe(1);
        expect(x.signals.BMS_DtcConfirmed).toBe(1);
        expect(x.signals.BMS_DtcCount).toBe(1);
      }
      expect(lastValue(d, 'BMS_FaultLampReq')).toBe(1);
    });
  });
});

describe('vehicle simulator (cargo-van-e-2025)', () => {
  it('decodes without errors and binds the van aliases', async () => {
    const catalog = await loadCatalog(modelDir('cargo-van-e-2025'));
    const model = buildSimModel(catalog);
    const { decoded, errors } = decodeAll(compileCatalog(catalog), simulate(model, 10));
    expect(errors).toEqual([]);
    expect(lastValue(decoded, 'BMS_PackVoltage')).toBeGreaterThan(300);
    expect(lastValue(decoded, 'BBM_CargoTemp')).toBeLessThan(6);
    expect(model.spec.cellsInSeries).toBe(96);
    expect(model.spec.motorShares).toEqual([1]);
  });
});
