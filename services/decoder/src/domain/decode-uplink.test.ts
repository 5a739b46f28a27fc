import { describe, expect, it } from 'vitest';
import { SignalSink, UNKNOWN_BUS, decodeBatch } from '@telltale/dbc';
import { messageLabel, toSignalColumns } from './decode-uplink.js';
import { testCatalog } from './test-catalog.fixture.js';

describe('decoding an uplink with the catalog (decodeBatch with bus dispatch)', () => {
  const compiled = testCatalog();
  const id = (q: string) => compiled.catalog.byQualifiedName.get(q)!.id;

  it('dispatches each frame to its bus and splits time offsets into ms and µs within the ms', () => {
    const data = Uint8Array.from([0x10, 0x27, 0x03, 0, 0, 0, 0, 0, /* bms */ 0xa0, 0x0f, 0, 0, 0, 0, 0, 0]);
    const sink = new SignalSink(4, 4);
    const n = decodeBatch(
      {
        count: 2,
        timeOffsetUs: [1500, 20_999],
        bus: [0, 3],
        canId: [0x100, 0x100],
        flags: [0, 0],
        length: [8, 8],
        data,
      },
      compiled,
      sink,
    );
    expect(n).toBe(3);
    const columns = toSignalColumns(sink, [1500, 20_999]);
    expect([...columns.signalId]).toEqual([
      id('powertrain/Speed/VehicleSpeed'),
      id('powertrain/Speed/Gear'),
      id('bms/Pack/PackVoltage'),
    ]);
    expect([...columns.value]).toEqual([100, 3, 400]);
    expect([...columns.timeOffsetMs]).toEqual([1, 1, 20]);
    expect([...columns.timeSubMsUs]).toEqual([500, 500, 999]);
    expect(sink.errorCount).toBe(0);
  });

  it('records unknown buses, unknown ids and short frames as errors and decodes the rest', () => {
    const data = new Uint8Array(8 + 8 + 2 + 8);
    const sink = new SignalSink();
    decodeBatch(
      {
        count: 4,
        timeOffsetUs: [0, 0, 0, 0],
        bus: [7, 0, 0, 3],
        canId: [0x100, 0x101, 0x100, 0x100],
        flags: [0, 0, 0, 0],
        length: [8, 8, 2, 8],
        data,
      },
      compiled,
      sink,
    );
    expect(sink.count).toBe(1);
    expect([...sink.errorFrame.subarray(0, sink.errorCount)]).toEqual([0, 1, 2]);
    expect([...sink.errorReason.subarray(0, sink.errorCount)]).toEqual([UNKNOWN_BUS, 1, 2]);
  });

  it('labels messages for error metrics without unbounded values', () => {
    expect(messageLabel(compiled, 0, 0x100, 0)).toBe('Speed');
    expect(messageLabel(compiled, 3, 0x100, 0)).toBe('Pack');
    expect(messageLabel(compiled, 0, 0x555, 0)).toBe('unknown-id');
    expect(messageLabel(compiled, 9, 0x100, 0)).toBe('unknown-bus');
  });
});
