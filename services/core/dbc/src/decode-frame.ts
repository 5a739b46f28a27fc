/**
 * Per-frame decoding for tools (CLI, API previews, tests): one frame in, one JSON-ready object out, following the
 * conformance output format (shared dbc-conformance/README.md):
 *  - physical values are numbers; with `raw: true` integer signals are decimal strings (64-bit safe) and IEEE float
 *    signals stay numbers;
 *  - a NaN/±Infinity value is null with its kind in `nonfinite`;
 *  - a signal that can never decode (it reaches past the message length, accepted with strict: false) is null;
 *  - `choices` maps signals whose raw value has a VAL_ label to that label.
 * Errors are returned, never thrown: unknown_id (no such (id, extended) message), decode (short frame, multiplexer
 * value with no branch), bad_input (not a frame).
 * This path allocates per frame; the decoder service uses decode-batch.ts.
 */
import { DecodeErrorReason, type CompiledDatabase, type CompiledSignal, type DecodeNode } from './compile.js';
import { readRaw } from './extract.js';

export interface FrameInput {
  readonly id: number;
  readonly extended: boolean;
  readonly data: Uint8Array;
}

export type NonFiniteKind = 'NaN' | 'Infinity' | '-Infinity';
export type DecodeErrorKind = 'unknown_id' | 'decode' | 'bad_input';

export interface DecodedFrame {
  readonly ok: true;
  readonly id: number;
  readonly extended: boolean;
  /** The message name. */
  readonly message: string;
  readonly signals: Record<string, number | string | null>;
  readonly choices: Record<string, string>;
  /** Present only when some value is non-finite. */
  readonly nonfinite?: Record<string, NonFiniteKind>;
}

export interface FrameDecodeFailure {
  readonly ok: false;
  readonly id: number;
  readonly extended: boolean;
  readonly errorKind: DecodeErrorKind;
  readonly reason: DecodeErrorReason;
  readonly error: string;
}

export type FrameDecodeResult = DecodedFrame | FrameDecodeFailure;

export interface DecodeFrameOptions {
  /** Raw (unscaled) values instead of physical ones. */
  readonly raw?: boolean;
}

function failure(
  frame: { id: number; extended: boolean },
  reason: DecodeErrorReason,
  error: string,
): FrameDecodeFailure {
  const errorKind: DecodeErrorKind =
    reason === DecodeErrorReason.UNKNOWN_ID
      ? 'unknown_id'
      : reason === DecodeErrorReason.BAD_INPUT
        ? 'bad_input'
        : 'decode';
  return { ok: false, id: frame.id, extended: frame.extended, errorKind, reason, error };
}

function listValues(values: readonly string[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/** The label key of a raw value: its decimal integer form, when it has one. */
function choiceKey(raw: number | bigint): string | undefined {
  if (typeof raw === 'bigint') return raw.toString();
  return Number.isInteger(raw) ? BigInt(raw).toString() : undefined;
}

export function decodeFrame(
  compiled: CompiledDatabase,
  frame: FrameInput,
  options: DecodeFrameOptions = {},
): FrameDecodeResult {
  const { id, extended, data } = frame;
  if (!Number.isInteger(id) || id < 0 || typeof extended !== 'boolean' || !(data instanceof Uint8Array)) {
    return failure(
      { id, extended: Boolean(extended) },
      DecodeErrorReason.BAD_INPUT,
      'a frame needs an integer id >= 0, a boolean extended flag and data bytes',
    );
  }
  if (data.length > 64) {
    return failure(frame, DecodeErrorReason.BAD_INPUT, `${data.length} data bytes; a CAN frame carries at most 64`);
  }
  const message = compiled.lookup(id, extended);
  if (message === undefined) {
    const error =
      !extended && id > 0x7ff
        ? `standard frame id 0x${id.toString(16)} exceeds 11 bits`
        : `no message with ${extended ? 'extended' : 'standard'} id 0x${id.toString(16)}`;
    return failure(frame, DecodeErrorReason.UNKNOWN_ID, error);
  }
  if (data.length < message.message.length) {
    return failure(
      frame,
      DecodeErrorReason.SHORT_FRAME,
      `Wrong data size: ${data.length} instead of ${message.message.length} bytes`,
    );
  }

  const raw = options.raw ?? false;
  const signals: Record<string, number | string | null> = {};
  const choices: Record<string, string> = {};
  let nonfinite: Record<string, NonFiniteKind> | undefined;

  const emit = (compiled: CompiledSignal): number | undefined => {
    const { signal } = compiled;
    if (!compiled.decodable) {
      signals[signal.name] = null;
      return undefined;
    }
    const isInteger = signal.valueType === 'integer';
    const exact = readRaw(compiled.plan, data, 0, true);
    // Same arithmetic as the batch decoders: the (correctly rounded) double raw value, times scale, plus offset.
    const rawNumber = typeof exact === 'bigint' ? (readRaw(compiled.plan, data, 0, false) as number) : exact;
    const key = choiceKey(exact);
    const label = key === undefined ? undefined : signal.choices.get(key);
    if (label !== undefined) choices[signal.name] = label;
    let value: number | string;
    if (raw) value = isInteger ? exact.toString() : rawNumber;
    else value = signal.scale === 1 && signal.offset === 0 ? rawNumber : rawNumber * signal.scale + signal.offset;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      nonfinite ??= {};
      nonfinite[signal.name] = Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      signals[signal.name] = null;
    } else {
      signals[signal.name] = value;
    }
    return rawNumber;
  };

  const walk = (node: DecodeNode): string | undefined => {
    const switchValues = new Map<CompiledSignal, number>();
    for (const compiledSignal of node.signals) {
      const value = emit(compiledSignal);
      if (value !== undefined) switchValues.set(compiledSignal, value);
    }
    for (const sw of node.switches) {
      const value = switchValues.get(sw.signal);
      if (value === undefined) continue;
      const segment = sw.segments.find((s) => s.low <= value && value <= s.high);
      if (segment === undefined) {
        const expected =
          sw.segments.length <= 16
            ? listValues(sw.segments.map((s) => (s.low === s.high ? String(s.low) : `${s.low}..${s.high}`)))
            : `${sw.segments.length} ranges`;
        return `expected multiplexer id ${expected}, but got ${value}`;
      }
      const error = walk(segment.node);
      if (error !== undefined) return error;
    }
    return undefined;
  };

  const error = walk(message.root);
  if (error !== undefined) return failure(frame, DecodeErrorReason.BAD_MULTIPLEXER, error);
  return {
    ok: true,
    id,
    extended,
    message: message.message.name,
    signals,
    choices,
    ...(nonfinite === undefined ? {} : { nonfinite }),
  };
}

/** The conformance output line (without newline) for a result. */
export function formatDecodeLine(result: FrameDecodeResult): string {
  if (!result.ok) {
    return JSON.stringify({
      id: result.id,
      extended: result.extended,
      error: result.error,
      error_kind: result.errorKind,
    });
  }
  return JSON.stringify({
    id: result.id,
    extended: result.extended,
    message: result.message,
    signals: result.signals,
    choices: result.choices,
    ...(result.nonfinite === undefined ? {} : { nonfinite: result.nonfinite }),
  });
}

/** A bad input line in the output format (for tools reading frames from text). */
export function formatBadInputLine(id: unknown, extended: unknown, error: string): string {
  return JSON.stringify({
    id: typeof id === 'number' ? id : null,
    extended: typeof extended === 'boolean' ? extended : null,
    error,
    error_kind: 'bad_input',
  });
}
