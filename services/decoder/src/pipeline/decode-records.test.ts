import { describe, expect, it } from 'vitest';
import { RECORD_HEADER } from '@telltale/platform/kafka';
import { TelemetryBatch, decodeSignalBatch, type ITelemetryBatch } from '@telltale/platform/proto';
import type { CatalogLookup } from '@telltale/catalog';
import { testCatalog } from '../domain/test-catalog.fixture.js';
import { RecordDecoder, type DecodeEvents, type UplinkRecord } from './decode-records.js';

const VIN = 'LRW3E7FS1RC000001';
const OTHER = 'LRW3E7FS1RC000002';
const compiled = testCatalog();

function fakes(extra: Partial<DecodeEvents> = {}) {
  const rejected: string[] = [];
  const frameErrors: string[] = [];
  const batches: { model: string; frames: number; signals: number }[] = [];
  const events: DecodeEvents = {
    batch: (model, frames, signals) => batches.push({ model, frames, signals }),
    frameErrors: (model, message, reason, count) => frameErrors.push(`${model}/${message}/${reason}×${count}`),
    batchRejected: (reason) => rejected.push(reason),
    ...extra,
  };
  const vehicles = new Map([
    [VIN, { modelId: 'test-car', catalogVersion: '1.0.0' }],
    [OTHER, { modelId: 'gone-car', catalogVersion: '9.9.9' }],
  ]);
  const catalogs = {
    get: (modelId: string): Promise<CatalogLookup> =>
      Promise.resolve(
        modelId === 'test-car'
          ? { ok: true, catalog: compiled }
          : { ok: false, reason: 'CATALOG_NOT_FOUND', detail: `${modelId} is not in CATALOG_DIR` },
      ),
  };
  return { decoder: new RecordDecoder(vehicles, catalogs, events, 2, () => 42), rejected, frameErrors, batches };
}

function record(value: Uint8Array | undefined, key: string | undefined = VIN, offset = '7'): UplinkRecord {
  return { key, value, offset, timestamp: '1000', receivedMsHeader: undefined };
}

function uplink(overrides: Partial<ITelemetryBatch> = {}): Uint8Array {
  return TelemetryBatch.encode({
    vin: VIN,
    seq: 5,
    deviceId: 'tbox-1',
    baseTimeMsEpoch: 1_763_700_000_000,
    frames: {
      timeOffsetUs: [1500, 2500, 3500],
      bus: [0, 3, 0],
      canId: [0x100, 0x100, 0x555],
      flags: [0, 0, 0],
      length: [8, 8, 8],
      data: Uint8Array.from([0x10, 0x27, 0x03, 0, 0, 0, 0, 0, 0xa0, 0x0f, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
    },
    ...overrides,
  }).finish();
}

describe('RecordDecoder', () => {
  it('counts samples outside their DBC range per signal, and publishes them all the same', async () => {
    const outOfRange: string[] = [];
    const { decoder } = fakes({
      outOfRange: (model, signal, count) => outOfRange.push(`${model} ${signal} ×${count}`),
    });
    const { signals } = await decoder.decode([
      record(
        uplink({
          frames: {
            timeOffsetUs: [0, 1000, 2000],
            bus: [0, 0, 0],
            canId: [0x100, 0x100, 0x100],
            flags: [0, 0, 0],
            length: [8, 8, 8],
            // VehicleSpeed [0|300] km/h: 655.35 (out), 100 (in), 655.35 (out); Gear 0 (in)
            data: Uint8Array.from([
              0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x10, 0x27, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0,
            ]),
          },
        }),
      ),
    ]);
    expect(outOfRange).toEqual(['test-car powertrain/Speed/VehicleSpeed ×2']);
    const values = signals.flatMap((s) => [...decodeSignalBatch(s.value!).columns.value]);
    expect(values.filter((v) => v > 300)).toEqual([655.35, 655.35]);
  });

  it('decodes an uplink into SignalBatch records split at the size limit, with provenance', async () => {
    const { decoder, batches } = fakes();
    const { signals } = await decoder.decode([record(uplink())]);
    expect(signals).toHaveLength(2); // 3 signals, at most 2 per record
    const parts = signals.map((s) => decodeSignalBatch(s.value!));
    expect(signals.every((s) => s.key === VIN)).toBe(true);
    expect(parts.map((p) => [p.header.part, p.header.partCount, p.header.batchId])).toEqual([
      [0, 2, `${VIN}:5`],
      [1, 2, `${VIN}:5`],
    ]);
    expect(parts[0]!.header.source).toMatchObject({
      deviceSeq: 5,
      gatewayReceiveTimeMsEpoch: 1000,
      decodeTimeMsEpoch: 42,
      deviceId: 'tbox-1',
    });
    expect(parts.flatMap((p) => [...p.columns.value])).toEqual([100, 3, 400]);
    expect(batches).toEqual([{ model: 'test-car', frames: 3, signals: 3 }]);
  });

  it('dead-letters the undecodable frames as a batch of their own with one reason each', async () => {
    const { decoder, frameErrors } = fakes();
    const { deadLetters } = await decoder.decode([record(uplink())]);
    expect(deadLetters).toHaveLength(1);
    const dead = deadLetters[0]!;
    expect(dead.headers).toMatchObject({
      [RECORD_HEADER.reason]: 'UNDECODABLE_FRAMES',
      [RECORD_HEADER.frameReasons]: 'UNKNOWN_ID',
      [RECORD_HEADER.sourceOffset]: '7',
      [RECORD_HEADER.receivedMs]: '1000',
    });
    const bad = TelemetryBatch.decode(dead.value!);
    expect(bad.frames?.canId).toEqual([0x555]);
    expect([...(bad.frames?.data ?? [])]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(frameErrors).toEqual(['test-car/unknown-id/UNKNOWN_ID×1']);
  });

  it('dead-letters whole records it cannot decode, with a reason, and keeps going', async () => {
    const { decoder, rejected } = fakes();
    const { signals, deadLetters } = await decoder.decode([
      record(undefined),
      record(Uint8Array.from([0x0a, 0x10, 0x42])), // truncated VIN
      record(uplink({ vin: 'WVWZZZ1JZXW999999' }), 'WVWZZZ1JZXW999999'),
      record(uplink({ vin: OTHER }), OTHER),
      record(uplink()),
    ]);
    expect(rejected).toEqual(['EMPTY_RECORD', 'MALFORMED_PROTOBUF', 'UNKNOWN_VIN', 'CATALOG_NOT_FOUND']);
    expect(deadLetters.map((d) => d.headers?.[RECORD_HEADER.reason])).toEqual([
      'EMPTY_RECORD',
      'MALFORMED_PROTOBUF',
      'UNKNOWN_VIN',
      'CATALOG_NOT_FOUND',
      'UNDECODABLE_FRAMES',
    ]);
    expect(Buffer.compare(deadLetters[1]!.value!, Buffer.from([0x0a, 0x10, 0x42]))).toBe(0);
    expect(signals.length).toBeGreaterThan(0);
  });

  it('dead-letters a record whose payload VIN differs from the Kafka key the gateway checked', async () => {
    const { decoder, rejected } = fakes();
    const { signals, deadLetters } = await decoder.decode([record(uplink({ vin: OTHER }), VIN)]);
    expect(signals).toEqual([]);
    expect(rejected).toEqual(['KEY_VIN_MISMATCH']);
    expect(deadLetters.map((d) => [d.key, d.headers?.[RECORD_HEADER.reason]])).toEqual([[VIN, 'KEY_VIN_MISMATCH']]);
  });

  it('dead-letters an ambiguous payload that protobufjs alone would decode (a VIN hidden in a bytes seq)', async () => {
    const { decoder, rejected } = fakes();
    const hidden = TelemetryBatch.encode({ vin: VIN }).finish();
    const crafted = Uint8Array.from([...uplink({ vin: VIN }), 0x12, hidden.length, ...hidden]);
    const { signals, deadLetters } = await decoder.decode([record(crafted, VIN)]);
    expect(signals).toEqual([]);
    expect(rejected).toEqual(['MALFORMED_PROTOBUF']);
    expect(deadLetters).toHaveLength(1);
  });
});
