import { describe, expect, it } from 'vitest';
import { TelemetryBatch } from '@telltale/platform/proto';
import { inspectUplink, type VehicleLookup } from './inspect-uplink.js';

const VIN = 'LRW3E7FS1RC000001';
const OTHER = 'LRW3E7FS1RC000002';
const vehicles: VehicleLookup = new Map([
  [VIN, { deviceId: 'tbox-1' }],
  [OTHER, { deviceId: 'tbox-2' }],
]);
const limits = { maxBatchBytes: 4096, maxFrameBytes: 64 };
const topic = `tbox/${VIN}/telemetry`;

function encode(overrides: Partial<Parameters<typeof TelemetryBatch.create>[0]> = {}): Uint8Array {
  return TelemetryBatch.encode({
    vin: VIN,
    seq: 7,
    deviceId: 'tbox-1',
    baseTimeMsEpoch: 1_763_700_000_000,
    frames: {
      timeOffsetUs: [0, 10],
      bus: [0, 1],
      canId: [0x100, 0x200],
      flags: [0, 0],
      length: [8, 2],
      data: new Uint8Array(10),
    },
    ...overrides,
  }).finish();
}

describe('inspectUplink', () => {
  it('accepts a well-formed batch from the bound device', () => {
    expect(inspectUplink(topic, encode(), vehicles, limits)).toEqual({
      ok: true,
      vin: VIN,
      seq: 7,
      stream: 'tbox-1:0',
      backfill: false,
      frameCount: 2,
    });
  });

  it('rejects a payload claiming another VIN than its topic (spoofing)', () => {
    const result = inspectUplink(topic, encode({ vin: OTHER, deviceId: 'tbox-2' }), vehicles, limits);
    expect(result).toMatchObject({ ok: false, reason: 'TOPIC_VIN_MISMATCH', vin: VIN });
  });

  it('rejects a device that is not bound to the VIN', () => {
    expect(inspectUplink(topic, encode({ deviceId: 'tbox-2' }), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'DEVICE_MISMATCH',
    });
  });

  it('names a vehicle registered without a T-Box (NO_DEVICE_REGISTERED), not a device mismatch', () => {
    const withoutDevice: VehicleLookup = new Map([[VIN, { deviceId: undefined }]]);
    const result = inspectUplink(topic, encode({ deviceId: 'tbox-1' }), withoutDevice, limits);
    expect(result).toMatchObject({ ok: false, reason: 'NO_DEVICE_REGISTERED' });
    expect(!result.ok && result.detail).toContain('import it with a device_id');
  });

  it('rejects a batch without a device id', () => {
    expect(inspectUplink(topic, encode({ deviceId: '' }), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'MISSING_DEVICE_ID',
    });
  });

  it('rejects unknown and malformed VINs', () => {
    const unknown = 'WVWZZZ1JZXW999999';
    expect(inspectUplink(`tbox/${unknown}/telemetry`, encode({ vin: unknown }), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'UNKNOWN_VIN',
    });
    expect(inspectUplink('tbox/NOT-A-VIN/telemetry', encode(), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'INVALID_VIN',
      vin: undefined,
    });
  });

  it('rejects bytes that are not a TelemetryBatch', () => {
    const result = inspectUplink(topic, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), vehicles, limits);
    expect(result).toMatchObject({ ok: false, reason: 'MALFORMED_PROTOBUF' });
  });

  it('rejects a truncated field even when the bytes arrive in a Node Buffer', () => {
    // protobufjs' Buffer reader would clamp the 16-byte VIN to the 1 byte present and call it valid.
    const result = inspectUplink(topic, Buffer.from([0x0a, 0x10, 0x42]), vehicles, limits);
    expect(result).toMatchObject({ ok: false, reason: 'MALFORMED_PROTOBUF' });
  });

  it('rejects oversized payloads before decoding them', () => {
    expect(inspectUplink(topic, new Uint8Array(5000), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'OVERSIZED',
    });
  });

  it('requires a sequence number and a base time', () => {
    expect(inspectUplink(topic, encode({ seq: 0 }), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'MISSING_SEQ',
    });
    expect(inspectUplink(topic, encode({ baseTimeMsEpoch: 0 }), vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'MISSING_BASE_TIME',
    });
  });

  it('rejects frame columns that disagree', () => {
    const uneven = encode({
      frames: { timeOffsetUs: [0], bus: [0, 1], canId: [1, 2], flags: [0, 0], length: [1, 1], data: new Uint8Array(2) },
    });
    expect(inspectUplink(topic, uneven, vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'FRAME_COLUMNS_INVALID',
      detail: 'column timeOffsetUs has 1 entries, can_id has 2',
    });
    const short = encode({
      frames: { timeOffsetUs: [0], bus: [0], canId: [1], flags: [0], length: [8], data: new Uint8Array(3) },
    });
    expect(inspectUplink(topic, short, vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'FRAME_COLUMNS_INVALID',
      detail: 'data holds 3 bytes, frame lengths add up to 8',
    });
    const tooLong = encode({
      frames: { timeOffsetUs: [0], bus: [0], canId: [1], flags: [0], length: [65], data: new Uint8Array(65) },
    });
    expect(inspectUplink(topic, tooLong, vehicles, limits)).toMatchObject({
      ok: false,
      reason: 'FRAME_COLUMNS_INVALID',
    });
  });

  it('rejects a payload the decoder would read differently: a VIN and frames hidden in a length-delimited seq', () => {
    // The old header scan skipped field 2 sent as bytes; protobufjs reads its length as seq and then the blob's
    // contents as top-level fields, so the hidden VIN and frames win. Kafka key and decoded VIN then disagree.
    const hidden = TelemetryBatch.encode({
      vin: OTHER,
      frames: { timeOffsetUs: [0], bus: [0], canId: [0x100], flags: [0], length: [1], data: new Uint8Array(1) },
    }).finish();
    const outer = TelemetryBatch.encode({ vin: VIN, seq: 7, deviceId: 'tbox-1', baseTimeMsEpoch: 1 }).finish();
    const crafted = Uint8Array.from([...outer, 0x12, hidden.length, ...hidden]);
    expect(TelemetryBatch.decode(crafted).vin).toBe(OTHER); // what the decoder would see
    expect(inspectUplink(topic, crafted, vehicles, limits)).toMatchObject({ ok: false, reason: 'MALFORMED_PROTOBUF' });
  });
});
