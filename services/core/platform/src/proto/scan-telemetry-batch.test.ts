import { describe, expect, it } from 'vitest';
import { TelemetryBatch } from './index.js';
import { scanTelemetryBatch as scanUplink } from './scan-telemetry-batch.js';

function randomBatch(seed: number) {
  let x = seed;
  const rand = (n: number) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % n;
  };
  const count = rand(40);
  const length = Array.from({ length: count }, () => rand(65));
  return {
    vin: 'LRW3E7FS1RC000001',
    seq: rand(2 ** 31) + 1,
    deviceId: `tbox-${rand(1000)}`,
    baseTimeMsEpoch: 1_763_700_000_000 + rand(1e9),
    backfill: rand(2) === 1,
    catalogVersion: '1.0.0',
    frames: {
      timeOffsetUs: Array.from({ length: count }, () => rand(2 ** 31)),
      bus: Array.from({ length: count }, () => rand(4)),
      canId: Array.from({ length: count }, () => rand(2 ** 29)),
      flags: Array.from({ length: count }, () => rand(8)),
      length,
      data: new Uint8Array(length.reduce((a, b) => a + b, 0)),
    },
  };
}

describe('scanTelemetryBatch', () => {
  it('reads the same header and column shape as the full decoder', () => {
    for (let seed = 1; seed < 200; seed++) {
      const input = randomBatch(seed);
      const scanned = scanUplink(TelemetryBatch.encode(input).finish());
      const n = input.frames.canId.length;
      expect(scanned).toEqual({
        vin: input.vin,
        seq: input.seq,
        deviceId: input.deviceId,
        baseTimeMsEpoch: input.baseTimeMsEpoch,
        backfill: input.backfill,
        bootId: 0,
        columnCounts: [n, n, n, n, n],
        lengthSum: input.frames.data.length,
        maxLength: n === 0 ? 0 : Math.max(...input.frames.length),
        dataLength: input.frames.data.length,
      });
    }
  });

  // …and also on truncated varints, which protobufjs reads leniently.
  it('fails wherever the strict decoder fails on truncated input', () => {
    const bytes = TelemetryBatch.encode(randomBatch(7)).finish();
    for (let cut = 0; cut < bytes.length; cut++) {
      const part = Uint8Array.from(bytes.subarray(0, cut));
      let strict = true;
      try {
        TelemetryBatch.decode(part);
      } catch {
        strict = false;
      }
      let scanned = true;
      try {
        scanUplink(part);
      } catch {
        scanned = false;
      }
      if (!strict) expect({ cut, scanned }).toEqual({ cut, scanned: false });
      if (cut === bytes.length - 1 || cut === 0) expect(scanned).toBe(cut === 0);
    }
  });

  it('counts unpacked (non-packed) repeated encodings too', () => {
    // can_id (field 3) and length (field 5) written one element per tag, as some encoders do.
    const frames = Uint8Array.from([
      0x18, 0x01, 0x18, 0x02, 0x08, 0x00, 0x08, 0x00, 0x10, 0x00, 0x10, 0x00, 0x20, 0x00, 0x20, 0x00, 0x28, 0x02, 0x28,
      0x03, 0x32, 0x05, 1, 2, 3, 4, 5,
    ]);
    const payload = Uint8Array.from([0x0a, 0x01, 0x56, 0x10, 0x05, 0x32, frames.length, ...frames]);
    expect(scanUplink(payload)).toMatchObject({
      vin: 'V',
      seq: 5,
      columnCounts: [2, 2, 2, 2, 2],
      lengthSum: 5,
      maxLength: 3,
      dataLength: 5,
    });
    const decoded = TelemetryBatch.decode(payload);
    expect(decoded.frames?.canId).toEqual([1, 2]);
  });
});
