import { describe, expect, it } from 'vitest';
import { Alert, AlertState, FeatureVector, FrameFlag, Severity, SignalBatch, TelemetryBatch } from './index.js';

describe('protobuf contracts round-trip', () => {
  it('TelemetryBatch keeps every field, with the 64-bit base time as a plain number', () => {
    const data = Uint8Array.from({ length: 8 + 64 }, (_, i) => (i * 29) & 0xff);
    const input = {
      vin: 'LRW3E7FS1RC000001',
      seq: 4_294_967_295,
      catalogVersion: '2026.11.0',
      baseTimeMsEpoch: 1_763_700_000_123,
      backfill: true,
      deviceId: 'tbox-7',
      firmwareVersion: '3.2.1',
      frames: {
        timeOffsetUs: [0, 4_000_000_000],
        bus: [0, 3],
        canId: [0x7ff, 0x1fffffff],
        flags: [
          FrameFlag.FRAME_FLAG_NONE,
          FrameFlag.FRAME_FLAG_EXTENDED | FrameFlag.FRAME_FLAG_FD | FrameFlag.FRAME_FLAG_BRS,
        ],
        length: [8, 64],
        data,
      },
    };
    const decoded = TelemetryBatch.decode(TelemetryBatch.encode(input).finish());
    expect(typeof decoded.baseTimeMsEpoch).toBe('number');
    expect(TelemetryBatch.toObject(decoded, { defaults: false, bytes: Array })).toEqual({
      ...input,
      frames: { ...input.frames, data: [...data] },
    });
  });

  it('SignalBatch keeps its columns and provenance', () => {
    const input = {
      vin: 'LRW3E7FS1RC000001',
      modelId: 'aurora-ev-2026',
      catalogVersion: '2026.11.0',
      source: {
        deviceSeq: 42,
        gatewayReceiveTimeMsEpoch: 1_763_700_001_000,
        decodeTimeMsEpoch: 1_763_700_001_004,
        deviceId: 'tbox-7',
      },
      baseTimeMsEpoch: 1_763_700_000_000,
      signalId: [0, 17, 8191],
      value: [-40.5, 3.3125, 1e-9],
      timeOffsetMs: [0, 10, 999],
      backfill: false,
      batchId: 'LRW3E7FS1RC000001:42',
    };
    const decoded = SignalBatch.decode(SignalBatch.encode(input).finish());
    expect(SignalBatch.toObject(decoded, { defaults: false })).toEqual(input);
  });

  it('Alert keeps lifecycle, rule version and evidence', () => {
    const input = {
      alertId: 'a1b2',
      vin: 'LRW3E7FS1RC000001',
      ruleId: 'bms.cell_imbalance',
      ruleVersion: 7,
      severity: Severity.SEVERITY_CRITICAL,
      state: AlertState.ALERT_STATE_ESCALATED,
      eventTimeMsEpoch: 1_763_700_000_500,
      evidence: [{ signal: 'BMS_CellVoltage_017', value: 3.91, eventTimeMsEpoch: 1_763_700_000_490, unit: 'V' }],
      message: 'Cell spread 120 mV',
      fleetId: 'fleet-a',
      modelId: 'aurora-ev-2026',
      catalogVersion: '2026.11.0',
      emitTimeMsEpoch: 1_763_700_000_510,
      transitionSeq: 2,
      origin: 'rule',
    };
    const decoded = Alert.decode(Alert.encode(input).finish());
    expect(Alert.toObject(decoded, { defaults: false })).toEqual(input);
  });

  it('FeatureVector keeps window, values and scores', () => {
    const input = {
      vin: 'LRW3E7FS1RC000001',
      modelId: 'aurora-ev-2026',
      windowStartMsEpoch: 1_763_700_000_000,
      windowEndMsEpoch: 1_763_700_060_000,
      featureSetId: 'bms-health',
      featureSetVersion: 3,
      value: [0.1, -2, 42],
      scores: [{ modelId: 'cell-fault', modelVersion: '1.0.0', probability: 0.93, fault: 'cell_imbalance' }],
      sampleCount: 6000,
    };
    const decoded = FeatureVector.decode(FeatureVector.encode(input).finish());
    expect(FeatureVector.toObject(decoded, { defaults: false })).toEqual(input);
  });

  it('skips fields it does not know (forward compatibility) and rejects truncated input', () => {
    const known = TelemetryBatch.encode({ vin: 'V', seq: 1 }).finish();
    // Field 99, varint 5: what a newer T-Box might add.
    const withUnknown = Uint8Array.from([...known, 0x98, 0x06, 0x05]);
    expect(TelemetryBatch.decode(withUnknown).vin).toBe('V');
    const full = TelemetryBatch.encode({ vin: 'LRW3E7FS1RC000001', frames: { canId: [1, 2, 3] } }).finish();
    expect(() => TelemetryBatch.decode(full.subarray(0, full.length - 2))).toThrow();
  });
});
