/**
 * One uplink batch → the columns of one SignalBatch plus the frames that could not be decoded. Pure: the compiled
 * catalog and a reusable sink are passed in; nothing is allocated per frame or per signal except the output
 * columns themselves.
 *
 * Frames are dispatched to their bus's compiled database in one pass; a frame on a bus the model does not have is
 * an error (UNKNOWN_BUS), like an id the bus's DBC does not know (UNKNOWN_ID).
 */
import {
  DECODE_ERROR_REASON_NAMES,
  DecodeErrorReason,
  FRAME_FLAG_EXTENDED,
  type SignalSink,
  type CompiledDatabase,
} from '@telltale/dbc';
import type { CompiledCatalog } from '@telltale/catalog';

export const UNKNOWN_BUS = 100;
export const REASON_NAMES: Readonly<Record<number, string>> = {
  ...DECODE_ERROR_REASON_NAMES,
  [UNKNOWN_BUS]: 'UNKNOWN_BUS',
};

export interface UplinkFrames {
  readonly count: number;
  readonly timeOffsetUs: ArrayLike<number>;
  readonly bus: ArrayLike<number>;
  readonly canId: ArrayLike<number>;
  readonly flags: ArrayLike<number>;
  readonly length: ArrayLike<number>;
  readonly data: Uint8Array;
}

export interface DecodedColumns {
  readonly signalId: Uint32Array;
  readonly value: Float64Array;
  readonly timeOffsetMs: Uint32Array;
}

const MAX_FRAME_BYTES = 64;

/**
 * Decodes every frame of `frames` with the decoder of its bus into `sink` (reset first); errors are recorded in
 * the sink as (frame, reason). Returns the number of signals.
 */
export function decodeFrames(frames: UplinkFrames, catalog: CompiledCatalog, sink: SignalSink): number {
  sink.reset();
  const { count, bus, canId, flags, length, data } = frames;
  let n = 0;
  let offset = 0;
  let lastBus = -1;
  let compiled: CompiledDatabase | undefined;
  for (let i = 0; i < count; i++) {
    const frameLength = length[i]!;
    const frameOffset = offset;
    offset += frameLength;
    const busIndex = bus[i]!;
    if (busIndex !== lastBus) {
      compiled = catalog.decoderFor(busIndex);
      lastBus = busIndex;
    }
    if (compiled === undefined) {
      sink.addError(i, UNKNOWN_BUS);
      continue;
    }
    if (frameLength > MAX_FRAME_BYTES || offset > data.length) {
      sink.addError(i, DecodeErrorReason.BAD_INPUT);
      continue;
    }
    const messageIndex = compiled.lookupIndex(canId[i]!, (flags[i]! & FRAME_FLAG_EXTENDED) !== 0);
    if (messageIndex < 0) {
      sink.addError(i, DecodeErrorReason.UNKNOWN_ID);
      continue;
    }
    const message = compiled.messages[messageIndex]!;
    if (frameLength < message.message.length) {
      sink.addError(i, DecodeErrorReason.SHORT_FRAME);
      continue;
    }
    sink.count = n;
    sink.ensureSignalCapacity(n + message.maxOutputs);
    const next = message.decode(data, frameOffset, i, sink.signalId, sink.value, sink.frameIndex, n);
    if (next < 0) sink.addError(i, -next);
    else n = next;
  }
  sink.count = n;
  return n;
}

/** The sink's signals as SignalBatch columns, event time offsets in ms from the batch base time. */
export function toSignalColumns(sink: SignalSink, timeOffsetUs: ArrayLike<number>): DecodedColumns {
  const n = sink.count;
  const timeOffsetMs = new Uint32Array(n);
  for (let i = 0; i < n; i++) timeOffsetMs[i] = Math.floor(timeOffsetUs[sink.frameIndex[i]!]! / 1000);
  return { signalId: sink.signalId.slice(0, n), value: sink.value.slice(0, n), timeOffsetMs };
}

/** Message name of a frame for error accounting; unknown ids share one label (metric cardinality stays bounded). */
export function messageLabel(catalog: CompiledCatalog, busIndex: number, canId: number, flags: number): string {
  const compiled = catalog.decoderFor(busIndex);
  if (!compiled) return 'unknown-bus';
  const index = compiled.lookupIndex(canId, (flags & FRAME_FLAG_EXTENDED) !== 0);
  return index < 0 ? 'unknown-id' : (compiled.messages[index]?.message.name ?? 'unknown-id');
}
