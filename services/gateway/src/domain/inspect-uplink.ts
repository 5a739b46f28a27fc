/**
 * Decides what to do with one uplink message before anything is written: accept it (with the identity used for
 * dedupe and the Kafka key) or reject it with a stable reason. Pure: the registry view is passed in.
 */
import { scanTelemetryBatch, type TelemetryBatchHeader } from '@telltale/platform/proto';
import { isValidVin, vinFromTopic } from '@telltale/registry';

export const REJECT_REASONS = [
  'OVERSIZED',
  'MALFORMED_PROTOBUF',
  'INVALID_VIN',
  'TOPIC_VIN_MISMATCH',
  'UNKNOWN_VIN',
  'NO_DEVICE_REGISTERED',
  'DEVICE_MISMATCH',
  'MISSING_DEVICE_ID',
  'MISSING_SEQ',
  'MISSING_BASE_TIME',
  'FRAME_COLUMNS_INVALID',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type Inspection =
  | {
      readonly ok: true;
      readonly vin: string;
      readonly seq: number;
      /** The device's sequence the seq belongs to: device id and declared boot id (dedupe key). */
      readonly stream: string;
      readonly backfill: boolean;
      readonly frameCount: number;
    }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string; readonly vin: string | undefined };

export interface VehicleLookup {
  get(vin: string): { readonly deviceId: string | undefined } | undefined;
}

export interface InspectLimits {
  readonly maxBatchBytes: number;
  readonly maxFrameBytes: number;
}

const reject = (reason: RejectReason, detail: string, vin: string | undefined): Inspection => ({
  ok: false,
  reason,
  detail,
  vin,
});

export function inspectUplink(
  topic: string,
  payload: Uint8Array,
  vehicles: VehicleLookup,
  limits: InspectLimits,
): Inspection {
  const topicVin = vinFromTopic(topic);
  if (payload.length > limits.maxBatchBytes) {
    return reject('OVERSIZED', `payload of ${payload.length} bytes exceeds ${limits.maxBatchBytes}`, topicVin);
  }
  if (topicVin === undefined || !isValidVin(topicVin))
    return reject('INVALID_VIN', `topic "${topic}" does not name a valid VIN`, undefined);

  let batch: TelemetryBatchHeader;
  try {
    batch = scanTelemetryBatch(payload);
  } catch (error) {
    return reject('MALFORMED_PROTOBUF', `not a TelemetryBatch: ${(error as Error).message}`, topicVin);
  }
  // The broker's ACL binds the topic to the authenticated device's VIN; the payload must not claim another one.
  if (batch.vin === '') return reject('TOPIC_VIN_MISMATCH', 'payload has no VIN', topicVin);
  if (batch.vin !== topicVin)
    return reject('TOPIC_VIN_MISMATCH', `payload VIN "${batch.vin}" differs from topic VIN ${topicVin}`, topicVin);
  const vehicle = vehicles.get(topicVin);
  if (!vehicle) return reject('UNKNOWN_VIN', `VIN ${topicVin} is not in the registry`, topicVin);
  if (batch.deviceId === '') return reject('MISSING_DEVICE_ID', 'device_id is required', topicVin);
  if (vehicle.deviceId === undefined) {
    return reject(
      'NO_DEVICE_REGISTERED',
      `VIN ${topicVin} has no enabled T-Box registered: import it with a device_id (telltale vehicles import)`,
      topicVin,
    );
  }
  if (batch.deviceId !== vehicle.deviceId) {
    return reject('DEVICE_MISMATCH', `device "${batch.deviceId}" is not the T-Box bound to ${topicVin}`, topicVin);
  }
  if (batch.seq === 0)
    return reject('MISSING_SEQ', 'seq must be ≥ 1 (it identifies the batch for deduplication)', topicVin);
  if (!batch.baseTimeMsEpoch) return reject('MISSING_BASE_TIME', 'base_time_ms_epoch is required', topicVin);

  const problem = checkFrameColumns(batch, limits.maxFrameBytes);
  if (problem !== undefined) return reject('FRAME_COLUMNS_INVALID', problem, topicVin);
  return {
    ok: true,
    vin: topicVin,
    seq: batch.seq,
    stream: `${batch.deviceId}:${batch.bootId}`,
    backfill: batch.backfill,
    frameCount: batch.columnCounts[2],
  };
}

const COLUMN_NAMES = ['timeOffsetUs', 'bus', 'canId', 'flags', 'length'] as const;

function checkFrameColumns(batch: TelemetryBatchHeader, maxFrameBytes: number): string | undefined {
  const n = batch.columnCounts[2];
  for (let c = 0; c < COLUMN_NAMES.length; c++) {
    const count = batch.columnCounts[c]!;
    if (count !== n) return `column ${COLUMN_NAMES[c]} has ${count} entries, can_id has ${n}`;
  }
  if (batch.maxLength > maxFrameBytes) return `a frame has ${batch.maxLength} data bytes (at most ${maxFrameBytes})`;
  if (batch.lengthSum !== batch.dataLength)
    return `data holds ${batch.dataLength} bytes, frame lengths add up to ${batch.lengthSum}`;
  return undefined;
}
