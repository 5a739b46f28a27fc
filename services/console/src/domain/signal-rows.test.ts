import { describe, expect, it } from 'vitest';
import { formatValue, signalRows, type SignalValue } from './signal-rows.js';
import { visibleRange } from './virtual.js';

const value = (qualifiedName: string, extra: Partial<SignalValue> = {}): SignalValue => ({
  id: 1,
  name: qualifiedName.split('/')[2]!,
  qualifiedName,
  unit: '',
  value: 1,
  label: null,
  eventTimeMs: 0,
  stale: false,
  ...extra,
});

describe('signalRows', () => {
  const signals = [
    value('pt/VCU_Status/VCU_Speed', { unit: 'km/h' }),
    value('bms/BMS_Cells/BMS_CellMax', { unit: 'V', stale: true }),
    value('bms/BMS_Cells/BMS_CellMin', { unit: 'V' }),
    value('pt/VCU_Status/VCU_Gear', { label: 'Drive' }),
  ];

  it('groups by bus and message, sorted, a header before each group', () => {
    expect(signalRows(signals, '').map((r) => r.key)).toEqual([
      'g:bms/BMS_Cells',
      'bms/BMS_Cells/BMS_CellMax',
      'bms/BMS_Cells/BMS_CellMin',
      'g:pt/VCU_Status',
      'pt/VCU_Status/VCU_Gear',
      'pt/VCU_Status/VCU_Speed',
    ]);
  });

  it('keeps signals matching every word, in the name, label or unit; "stale" finds stale values', () => {
    expect(signalRows(signals, 'vcu drive').map((r) => r.key)).toEqual(['g:pt/VCU_Status', 'pt/VCU_Status/VCU_Gear']);
    expect(signalRows(signals, 'bms stale').map((r) => r.key)).toEqual([
      'g:bms/BMS_Cells',
      'bms/BMS_Cells/BMS_CellMax',
    ]);
    expect(signalRows(signals, 'nothing-like-this')).toEqual([]);
  });

  it('groups 8,400 signals fast enough to filter on every keystroke', () => {
    const many = Array.from({ length: 8400 }, (_, i) => value(`bus${i % 4}/MSG_${i % 600}/SIG_${i}`));
    const t0 = performance.now();
    const rows = signalRows(many, 'sig_1');
    expect(rows.filter((r) => r.kind === 'signal').length).toBe(
      many.filter((s) => s.qualifiedName.toLowerCase().includes('sig_1')).length,
    );
    expect(performance.now() - t0).toBeLessThan(1000); // generous: a loaded CI machine; typically ~10 ms
  });
});

describe('formatValue', () => {
  it('shows labels, integers as they are and decimals shortened', () => {
    expect(formatValue(3, 'Drive')).toBe('Drive');
    expect(formatValue(42, null)).toBe('42');
    expect(formatValue(3.14159, null)).toBe('3.142');
    expect(formatValue(0.000123456, null)).toBe('0.0001235');
    expect(formatValue(12345.678, null)).toBe('12345.7');
  });
});

describe('visibleRange', () => {
  it('draws the rows in view plus overscan, clamped to the list', () => {
    expect(visibleRange(8400, 28, 0, 560, 8)).toEqual({ start: 0, end: 29, offsetPx: 0, totalPx: 8400 * 28 });
    const mid = visibleRange(8400, 28, 28 * 1000, 560, 8);
    expect(mid).toMatchObject({ start: 992, end: 1029, offsetPx: 992 * 28 });
    // Scrolled far past the end of a list that a search made short: the list is still drawn.
    expect(visibleRange(10, 28, 10_000, 560, 8)).toMatchObject({ start: 0, end: 10 });
    expect(visibleRange(100, 28, 28 * 500, 560, 0)).toMatchObject({ start: 80, end: 100 });
    expect(visibleRange(0, 28, 0, 560)).toMatchObject({ start: 0, end: 0, totalPx: 0 });
  });
});
