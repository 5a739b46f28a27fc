import { describe, expect, it } from 'vitest';
import { encodeSignalBatch } from '@telltale/platform/proto';
import { readSignalRecord } from './signal-record.js';

const T0 = 1_700_000_000_000;
const fleetOf = (vin: string): string | undefined => (vin === 'VIN-A' ? 'fleet-a' : undefined);
const now = (): number => T0 + 5000;

function batchBytes(source?: { gatewayReceiveTimeMsEpoch: number }, backfill = false): Buffer {
  const bytes = encodeSignalBatch(
    { vin: 'VIN-A', modelId: 'aurora-ev-2026', catalogVersion: '1.0.0', baseTimeMsEpoch: T0, backfill, source },
    { signalId: Uint32Array.of(7, 9), value: Float64Array.of(1.5, 2), timeOffsetMs: Uint32Array.of(0, 10) },
  );
  return Buffer.from(bytes);
}

describe('readSignalRecord', () => {
  it('turns a SignalBatch into the engine batch, with the fleet and the gateway receive time', () => {
    const read = readSignalRecord(batchBytes({ gatewayReceiveTimeMsEpoch: T0 + 300 }, true), fleetOf, now);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.batch).toMatchObject({
      vin: 'VIN-A',
      modelId: 'aurora-ev-2026',
      fleetId: 'fleet-a',
      catalogVersion: '1.0.0',
      baseTimeMs: T0,
      backfill: true,
      arrivalTimeMs: T0 + 300,
    });
    expect(Array.from(read.batch.signalIds)).toEqual([7, 9]);
    expect(Array.from(read.batch.values)).toEqual([1.5, 2]);
    expect(Array.from(read.batch.timesMs)).toEqual([0, 10]);
  });

  it('uses the clock for a batch without a gateway receive time, and "" for a vehicle of no known fleet', () => {
    const read = readSignalRecord(batchBytes(), () => undefined, now);
    expect(read).toMatchObject({ ok: true, batch: { fleetId: '', arrivalTimeMs: T0 + 5000 } });
  });

  it('rejects a record without a value as EMPTY_RECORD', () => {
    expect(readSignalRecord(null, fleetOf, now)).toEqual({
      ok: false,
      reason: 'EMPTY_RECORD',
      detail: 'record without a value',
    });
  });

  it('rejects bytes that are not a SignalBatch as MALFORMED_PROTOBUF, saying why', () => {
    const read = readSignalRecord(Buffer.from([0x0a, 0xff, 0xff]), fleetOf, now);
    expect(read).toMatchObject({ ok: false, reason: 'MALFORMED_PROTOBUF' });
    expect(read.ok ? '' : read.detail).not.toBe('');
  });
});
