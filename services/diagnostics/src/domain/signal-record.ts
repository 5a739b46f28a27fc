/**
 * What one vehicle.signals.v1 record means to the rule engine: its SignalBatch as a SampleBatch, or the reason it
 * cannot be evaluated (a closed list; such a record goes to the dead-letter topic). Pure: bytes in, data out.
 *
 *   const read = readSignalRecord(record.value, (vin) => registry.get(vin)?.fleetId, Date.now);
 *   if (read.ok) engine.ingest(read.batch); else deadLetter(record, read.reason, read.detail);
 */
import { decodeSignalBatch } from '@telltale/platform/proto';
import type { SampleBatch } from '@telltale/rules';

export type SignalRejectReason = 'EMPTY_RECORD' | 'MALFORMED_PROTOBUF';

export type SignalRecordReading =
  | { readonly ok: true; readonly batch: SampleBatch }
  | { readonly ok: false; readonly reason: SignalRejectReason; readonly detail: string };

/**
 * `fleetOf` names the vehicle's fleet (unknown: ''); `nowMs` stands in for the arrival time of a batch without a
 * gateway receive time (the clock timers compare with).
 */
export function readSignalRecord(
  value: Uint8Array | null,
  fleetOf: (vin: string) => string | undefined,
  nowMs: () => number,
): SignalRecordReading {
  if (!value) return { ok: false, reason: 'EMPTY_RECORD', detail: 'record without a value' };
  let decoded: ReturnType<typeof decodeSignalBatch>;
  try {
    decoded = decodeSignalBatch(value);
  } catch (error) {
    return { ok: false, reason: 'MALFORMED_PROTOBUF', detail: (error as Error).message };
  }
  const { header, columns } = decoded;
  return {
    ok: true,
    batch: {
      vin: header.vin,
      modelId: header.modelId,
      fleetId: fleetOf(header.vin) ?? '',
      catalogVersion: header.catalogVersion,
      signalIds: columns.signalId,
      values: columns.value,
      timesMs: columns.timeOffsetMs,
      baseTimeMs: header.baseTimeMsEpoch,
      backfill: header.backfill,
      arrivalTimeMs: header.source?.gatewayReceiveTimeMsEpoch ?? nowMs(),
    },
  };
}
