/**
 * The hot path: decode a batch of CAN frames held in columns into a columnar sink of (signal id, value, frame).
 *
 *   const sink = new SignalSink();                       // reuse one per worker; it grows and never shrinks
 *   decodeBatch(frames, compiled, sink);                  // overwrites the sink with this batch's results
 *   for (let i = 0; i < sink.count; i++) use(sink.signalId[i], sink.value[i], sink.frameIndex[i]);
 *   for (let i = 0; i < sink.errorCount; i++) count(sink.errorReason[i], sink.errorFrame[i]);
 *
 * Input columns mirror the uplink TelemetryBatch: frame i has id `canId[i]`, flags `flags[i]` (bit 0 extended,
 * bit 1 FD), `length[i]` bytes stored consecutively in `data` (frame i starts where frame i−1 ends).
 * Values are physical (raw × scale + offset) as float64; 54..64-bit integers are correctly rounded doubles.
 * Per frame nothing is allocated, thrown or logged: a frame that cannot be decoded adds one (frame, reason) error
 * entry (DecodeErrorReason) and contributes no signals. Signals of a frame are written in a fixed order (message
 * order, then each active multiplexer branch), so results are deterministic.
 *
 * `options.bus`: when set and the batch has a `bus` column, frames of other buses are skipped silently (not errors),
 * so a caller with one compiled database per bus can run the same batch through each.
 *
 * Bus dispatch: pass `{ decoderFor(bus) }` (a compiled vehicle catalog has it) instead of one compiled database, and
 * each frame is decoded with its bus's database in one pass; a frame on a bus without one is an UNKNOWN_BUS error.
 *
 *   decodeBatch(frames, { decoderFor: (bus) => byBus[bus] }, sink);
 */
import {
  DECODE_ERROR_REASON_NAMES,
  DecodeErrorReason,
  type CompiledDatabase,
  type CompiledMessage,
} from './compile.js';

export interface FrameColumns {
  readonly count: number;
  readonly bus?: ArrayLike<number>;
  readonly canId: ArrayLike<number>;
  /** Bit 0: extended (29-bit) id; bit 1: CAN FD. */
  readonly flags: ArrayLike<number>;
  readonly length: ArrayLike<number>;
  /** All frames' bytes, concatenated in frame order. */
  readonly data: Uint8Array;
  /** Not used for decoding; carried so a batch type can be passed straight through. */
  readonly timeOffsetUs?: ArrayLike<number>;
}

export const FRAME_FLAG_EXTENDED = 1;
export const FRAME_FLAG_FD = 2;

/** Largest CAN FD payload: anything longer is malformed input (the uplink's checks use the same limit). */
export const MAX_CAN_FRAME_BYTES = 64;

/** Error reason of bus dispatch: the frame's bus has no compiled database. Beside DecodeErrorReason's codes. */
export const UNKNOWN_BUS = 100;

/** Names of every reason decodeBatch records (DecodeErrorReason's and UNKNOWN_BUS). */
export const BATCH_ERROR_REASON_NAMES: Readonly<Record<number, string>> = {
  ...DECODE_ERROR_REASON_NAMES,
  [UNKNOWN_BUS]: 'UNKNOWN_BUS',
};

/** One compiled database per bus index (a compiled vehicle catalog is one). */
export interface BusDatabases {
  decoderFor(busIndex: number): CompiledDatabase | undefined;
}

/** Growable columnar output of decodeBatch. The arrays may be replaced when they grow: read them after decoding. */
export class SignalSink {
  count = 0;
  signalId: Uint32Array;
  value: Float64Array;
  frameIndex: Uint32Array;
  errorCount = 0;
  errorFrame: Uint32Array;
  errorReason: Uint8Array;

  constructor(initialSignals = 4096, initialErrors = 256) {
    this.signalId = new Uint32Array(initialSignals);
    this.value = new Float64Array(initialSignals);
    this.frameIndex = new Uint32Array(initialSignals);
    this.errorFrame = new Uint32Array(initialErrors);
    this.errorReason = new Uint8Array(initialErrors);
  }

  reset(): void {
    this.count = 0;
    this.errorCount = 0;
  }

  /** Makes room for `needed` signals in total; returns whether the arrays were replaced. */
  ensureSignalCapacity(needed: number): boolean {
    if (needed <= this.signalId.length) return false;
    let capacity = this.signalId.length * 2;
    while (capacity < needed) capacity *= 2;
    const ids = new Uint32Array(capacity);
    ids.set(this.signalId.subarray(0, this.count));
    const values = new Float64Array(capacity);
    values.set(this.value.subarray(0, this.count));
    const frames = new Uint32Array(capacity);
    frames.set(this.frameIndex.subarray(0, this.count));
    this.signalId = ids;
    this.value = values;
    this.frameIndex = frames;
    return true;
  }

  addError(frame: number, reason: number): void {
    if (this.errorCount === this.errorFrame.length) {
      const frames = new Uint32Array(this.errorFrame.length * 2);
      frames.set(this.errorFrame);
      const reasons = new Uint8Array(this.errorReason.length * 2);
      reasons.set(this.errorReason);
      this.errorFrame = frames;
      this.errorReason = reasons;
    }
    this.errorFrame[this.errorCount] = frame;
    this.errorReason[this.errorCount] = reason;
    this.errorCount++;
  }
}

export interface DecodeBatchOptions {
  /** Decode only frames of this bus (see the file header). */
  readonly bus?: number;
}

/**
 * Decodes `frames` into `sink` (reset first) with `compiled`, or with each frame's bus's database when given
 * `BusDatabases` (frames without a bus column are on bus 0). Returns the number of signals written.
 */
export function decodeBatch(
  frames: FrameColumns,
  compiled: CompiledDatabase | BusDatabases,
  sink: SignalSink,
  options: DecodeBatchOptions = {},
): number {
  sink.reset();
  const { count, canId, flags, length, data } = frames;
  const busColumn = options.bus === undefined ? undefined : frames.bus;
  const wantedBus = options.bus ?? 0;
  const byBus = 'decoderFor' in compiled ? compiled : undefined;
  const frameBus = byBus === undefined ? undefined : frames.bus;
  let database = byBus === undefined ? (compiled as CompiledDatabase) : undefined;
  let lastBus = byBus === undefined ? -1 : -2; // -2: nothing looked up yet
  let messages: readonly CompiledMessage[] = database?.messages ?? [];
  let lookupIndex: CompiledDatabase['lookupIndex'] | undefined = database?.lookupIndex;
  const dataLength = data.length;
  let signalIds = sink.signalId;
  let values = sink.value;
  let frameIndexes = sink.frameIndex;
  let capacity = signalIds.length;
  let n = 0;
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const frameLength = length[i]!;
    const frameOffset = offset;
    offset += frameLength;
    if (busColumn !== undefined && busColumn[i] !== wantedBus) continue;
    if (byBus !== undefined) {
      const bus = frameBus === undefined ? 0 : frameBus[i]!;
      if (bus !== lastBus) {
        lastBus = bus;
        database = byBus.decoderFor(bus);
        messages = database?.messages ?? [];
        lookupIndex = database?.lookupIndex;
      }
    }
    if (lookupIndex === undefined) {
      sink.addError(i, UNKNOWN_BUS);
      continue;
    }
    if (frameLength > MAX_CAN_FRAME_BYTES || offset > dataLength) {
      sink.addError(i, DecodeErrorReason.BAD_INPUT);
      continue;
    }
    const messageIndex = lookupIndex(canId[i]!, (flags[i]! & FRAME_FLAG_EXTENDED) !== 0);
    if (messageIndex < 0) {
      sink.addError(i, DecodeErrorReason.UNKNOWN_ID);
      continue;
    }
    const message = messages[messageIndex]!;
    if (frameLength < message.message.length) {
      sink.addError(i, DecodeErrorReason.SHORT_FRAME);
      continue;
    }
    if (n + message.maxOutputs > capacity) {
      sink.count = n;
      sink.ensureSignalCapacity(n + message.maxOutputs);
      signalIds = sink.signalId;
      values = sink.value;
      frameIndexes = sink.frameIndex;
      capacity = signalIds.length;
    }
    const next = message.decode(data, frameOffset, i, signalIds, values, frameIndexes, n);
    if (next < 0) sink.addError(i, -next);
    else n = next;
  }
  sink.count = n;
  return n;
}
