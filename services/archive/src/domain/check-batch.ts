/**
 * What the archive refuses, as a closed list of dead-letter reasons. A record that fails here is sent to
 * vehicle.signals.dlq.v1 with the reason and counted; its offset still counts as done.
 */
import { MODEL_ID } from './layout.js';
import type { ArchivableBatch } from './segment.js';

export const REJECT_REASONS = [
  'EMPTY_RECORD',
  'MALFORMED_PROTOBUF',
  'MISSING_VIN',
  'INVALID_MODEL_ID',
  'EVENT_TIME_OUT_OF_RANGE',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Event times outside [2000-01-01, 2200-01-01) UTC are a broken clock or a broken encoder, not history. */
export const MIN_EVENT_TIME_MS = Date.UTC(2000, 0, 1);
export const MAX_EVENT_TIME_MS = Date.UTC(2200, 0, 1);

export function checkBatch(b: ArchivableBatch): { reason: RejectReason; detail: string } | undefined {
  if (b.vin.length === 0) return { reason: 'MISSING_VIN', detail: 'the batch names no VIN' };
  if (!MODEL_ID.test(b.modelId))
    return { reason: 'INVALID_MODEL_ID', detail: `model id "${b.modelId.slice(0, 64)}" is not a directory-safe name` };
  if (b.value.length === 0) return undefined;
  let maxOffset = 0;
  for (let i = 0; i < b.timeOffsetMs.length; i++) if (b.timeOffsetMs[i]! > maxOffset) maxOffset = b.timeOffsetMs[i]!;
  if (
    !Number.isSafeInteger(b.baseTimeMsEpoch) ||
    b.baseTimeMsEpoch < MIN_EVENT_TIME_MS ||
    b.baseTimeMsEpoch + maxOffset >= MAX_EVENT_TIME_MS
  ) {
    return {
      reason: 'EVENT_TIME_OUT_OF_RANGE',
      detail: `event times from ${b.baseTimeMsEpoch} to ${b.baseTimeMsEpoch + maxOffset} ms are outside 2000–2200`,
    };
  }
  return undefined;
}
