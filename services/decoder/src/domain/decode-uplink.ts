/**
 * Helpers around the DBC engine's batch decode for one uplink batch (the decode itself, with bus dispatch, is
 * `decodeBatch(frames, compiledCatalog, sink)` of @telltale/dbc): the sink's signals as SignalBatch columns, and a
 * bounded label per frame for error metrics. Pure.
 */
import { FRAME_FLAG_EXTENDED, type SignalSink } from '@telltale/dbc';
import type { CompiledCatalog } from '@telltale/catalog';

export interface DecodedColumns {
  readonly signalId: Uint32Array;
  readonly value: Float64Array;
  readonly timeOffsetMs: Uint32Array;
  /** The frame time's microseconds within its millisecond (0-999): every sample keeps the frame's µs time. */
  readonly timeSubMsUs: Uint32Array;
}

/**
 * The sink's signals as SignalBatch columns: each sample's event time is its frame's, split into whole ms after the
 * batch base time and the µs within that ms (the uplink's base time is in ms, its frame offsets in µs).
 */
export function toSignalColumns(sink: SignalSink, timeOffsetUs: ArrayLike<number>): DecodedColumns {
  const n = sink.count;
  const timeOffsetMs = new Uint32Array(n);
  const timeSubMsUs = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const us = timeOffsetUs[sink.frameIndex[i]!]!;
    const ms = Math.floor(us / 1000);
    timeOffsetMs[i] = ms;
    timeSubMsUs[i] = us - ms * 1000;
  }
  return { signalId: sink.signalId.slice(0, n), value: sink.value.slice(0, n), timeOffsetMs, timeSubMsUs };
}

/** Message name of a frame for error accounting; unknown ids share one label (metric cardinality stays bounded). */
export function messageLabel(catalog: CompiledCatalog, busIndex: number, canId: number, flags: number): string {
  const compiled = catalog.decoderFor(busIndex);
  if (!compiled) return 'unknown-bus';
  const index = compiled.lookupIndex(canId, (flags & FRAME_FLAG_EXTENDED) !== 0);
  return index < 0 ? 'unknown-id' : (compiled.messages[index]?.message.name ?? 'unknown-id');
}
