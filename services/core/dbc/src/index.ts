/**
 * The DBC engine: parse a DBC file into the Database model, compile it into per-message decoders, decode frames
 * one at a time (tools) or in columnar batches (the decoder service's hot path).
 */
export * from './model.js';
export { DbcError, isDbcError, type DbcErrorCode } from './errors.js';
export { checkDbc, formatDiagnostic, parseDbc, type ParseDbcOptions, type ParseDbcResult } from './parse.js';
export { countDiagnostics } from './parse.js';
export { MAX_DIAGNOSTICS_PER_KIND } from './diagnostics.js';
export { byteMasks, fitsInLength, lastByteIndex, motorolaMsbPosition, type SignalGeometry } from './layout.js';
export { decodeDbcText, type DbcTextEncoding } from './text.js';
export {
  compileDatabase,
  DECODE_ERROR_REASON_NAMES,
  DecodeErrorReason,
  type BatchMessageDecoder,
  type CompiledDatabase,
  type CompiledMessage,
  type CompiledSignal,
  type CompileOptions,
  type DecodeNode,
  type MultiplexerSwitch,
} from './compile.js';
export {
  BATCH_ERROR_REASON_NAMES,
  decodeBatch,
  FRAME_FLAG_EXTENDED,
  FRAME_FLAG_FD,
  MAX_CAN_FRAME_BYTES,
  SignalSink,
  UNKNOWN_BUS,
  type BusDatabases,
  type DecodeBatchOptions,
  type FrameColumns,
} from './decode-batch.js';
export {
  decodeFrame,
  formatBadInputLine,
  formatDecodeLine,
  type DecodedFrame,
  type DecodeErrorKind,
  type DecodeFrameOptions,
  type FrameDecodeFailure,
  type FrameDecodeResult,
  type FrameInput,
  type NonFiniteKind,
} from './decode-frame.js';
export { hexToBytes, parseFrameLine, type ParsedFrameLine } from './frame-json.js';
