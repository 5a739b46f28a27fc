import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadCatalog } from '../core-api.js';
import { buildSimModel } from './model.js';
import { convertUnit } from './units.js';

const modelDir = (id: string): string => fileURLToPath(new URL(`../../../../signal-catalog/${id}`, import.meta.url));

describe('signal bindings', () => {
  it.each(['aurora-ev-2026', 'cargo-van-e-2025'])(
    '%s: every alias is driven by the physics model, flags and DTCs are quiet',
    async (id) => {
      const catalog = await loadCatalog(modelDir(id));
      const model = buildSimModel(catalog);
      const sourceOf = (bus: string, message: string, signal: string) => {
        const m = model.messages.find((x) => x.busName === bus && x.message.name === message)!;
        return m.plan.sources[m.message.signals.findIndex((s) => s.name === signal)]!;
      };
      for (const [alias, signal] of catalog.aliases) {
        expect(sourceOf(signal.bus, signal.message, signal.name).kind, alias).toBe('physics');
      }
      for (const m of model.messages) {
        m.message.signals.forEach((s, i) => {
          const source = m.plan.sources[i]!;
          if (/_Dtc|_Flt/.test(s.name)) expect(source.kind, s.name).toBe('constant');
          if (s.multiplexing.isMultiplexer) expect(source.kind).toBe('switch');
          if (/CellVoltage_\d+$/.test(s.name)) expect(source.kind).toBe('physics');
        });
      }
    },
  );

  it('converts canonical units to the signal’s', () => {
    expect(convertUnit(36, 'km/h', 'm/s')).toBeCloseTo(10);
    expect(convertUnit(250, 'kPa', 'bar')).toBeCloseTo(2.5);
    expect(convertUnit(2.5, 'kOhm', 'MOhm')).toBeCloseTo(0.0025);
    expect(convertUnit(20, '°C', 'K')).toBeCloseTo(293.15);
    expect(convertUnit(5, 'V', '')).toBe(5);
    expect(convertUnit(5, 'V', 'km')).toBe(5);
  });
});
