/**
 * Layout checks of one message: each signal's length, float width, scale and reach (load errors), then overlaps
 * between signals that can be present in the same frame (warnings: each still decodes on its own).
 */
import { byteMasks, fitsInLength, lastByteIndex } from '../layout.js';
import type { Message, Signal } from '../model.js';
import type { RawMessage, RawSignal } from '../parser.js';
import type { AssemblyContext } from './context.js';
import { rangesIntersect, type Ranges } from './multiplexing.js';

interface PlacedSignal {
  readonly signal: Signal;
  readonly raw: RawSignal;
  readonly masks: Uint8Array;
}

export function checkLayout(context: AssemblyContext, message: Message, raw: RawMessage): void {
  const placed: PlacedSignal[] = [];
  message.signals.forEach((signal, index) => {
    const rawSignal = raw.signals[index]!;
    if (isPlaceable(context, message, signal, rawSignal)) {
      placed.push({ signal, raw: rawSignal, masks: byteMasks(signal) });
    }
  });
  warnAboutOverlaps(context, message, placed);
}

/** Reports what keeps a signal from having a place in its frame; true when it has one. */
function isPlaceable(context: AssemblyContext, message: Message, signal: Signal, raw: RawSignal): boolean {
  const at = raw.layoutPos;
  const where = `Signal ${signal.name} of message ${message.name}`;
  if (signal.length < 1 || signal.length > 64) {
    context.report('error', 'DBC_SIGNAL_LENGTH', `${where}: length ${signal.length} bits is outside 1..64.`, at);
    return false;
  }
  const floatLength = signal.valueType === 'float32' ? 32 : signal.valueType === 'float64' ? 64 : undefined;
  if (floatLength !== undefined && signal.length !== floatLength) {
    const problem = `a ${signal.valueType} signal must be ${floatLength} bits, not ${signal.length}`;
    context.report('error', 'DBC_SIGNAL_LENGTH', `${where}: ${problem}.`, at);
    return false;
  }
  if (!Number.isFinite(signal.scale) || !Number.isFinite(signal.offset)) {
    context.report('error', 'DBC_SYNTAX', `${where}: scale and offset must be finite numbers.`, at);
    return false;
  }
  const lastByte = lastByteIndex(signal);
  if (lastByte >= 64) {
    const problem = `bits reach byte ${lastByte}, past the 64 bytes of the largest CAN FD frame`;
    context.report('error', 'DBC_SIGNAL_OUT_OF_RANGE', `${where}: ${problem}.`, at);
    return false;
  }
  if (!fitsInLength(signal, message.length)) {
    const strict = context.options.strict;
    const problem = `bits reach byte ${lastByte} but the message is ${message.length} bytes long`;
    const consequence = strict ? '' : '; the signal never decodes';
    context.report(strict ? 'error' : 'warning', 'DBC_SIGNAL_OUT_OF_RANGE', `${where}: ${problem}${consequence}.`, at);
    return false;
  }
  return true;
}

/** The multiplexer values a signal needs to be present: switch name → ranges, up the switch chain. */
function presenceConditions(signal: Signal, byName: ReadonlyMap<string, Signal>): Map<string, Ranges> {
  const constraints = new Map<string, Ranges>();
  let current: Signal | undefined = signal;
  while (current?.multiplexing.parent && !constraints.has(current.multiplexing.parent.multiplexer)) {
    constraints.set(current.multiplexing.parent.multiplexer, current.multiplexing.parent.ranges);
    current = byName.get(current.multiplexing.parent.multiplexer);
  }
  return constraints;
}

/** Signals in different branches of the same multiplexer legitimately share bits. */
function neverPresentTogether(a: ReadonlyMap<string, Ranges>, b: ReadonlyMap<string, Ranges>): boolean {
  for (const [mux, ranges] of a) {
    const other = b.get(mux);
    if (other !== undefined && !rangesIntersect(ranges, other)) return true;
  }
  return false;
}

function warnAboutOverlaps(context: AssemblyContext, message: Message, placed: readonly PlacedSignal[]): void {
  const byName = new Map(message.signals.map((s) => [s.name, s]));
  const conditions = placed.map((p) => presenceConditions(p.signal, byName));
  for (let j = 1; j < placed.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = placed[i]!;
      const b = placed[j]!;
      let shared = false;
      for (let k = 0; k < 64; k++) {
        if ((a.masks[k]! & b.masks[k]!) !== 0) {
          shared = true;
          break;
        }
      }
      if (!shared || neverPresentTogether(conditions[i]!, conditions[j]!)) continue;
      context.warn(
        'DBC_OVERLAPPING_SIGNALS',
        `Signal ${b.signal.name} of message ${message.name} overlaps signal ${a.signal.name}; each decodes on its own.`,
        b.raw.layoutPos,
      );
    }
  }
}
