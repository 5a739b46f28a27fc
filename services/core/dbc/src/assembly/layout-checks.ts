/**
 * Layout checks of one message: each signal's length, float width, scale and reach (load errors), then overlaps
 * between signals that can be present in the same frame (warnings: each still decodes on its own).
 */
import { byteMasks, fitsInLength, lastByteIndex } from '../layout.js';
import type { Message, Signal } from '../model.js';
import type { RawMessage, RawSignal } from '../parser.js';
import { MAX_OVERLAP_COMPARISONS, type AssemblyContext } from './context.js';
import { MAX_MULTIPLEXER_DEPTH, rangesIntersect, type Ranges } from './multiplexing.js';

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
  // Bounded: a chain deeper than MAX_MULTIPLEXER_DEPTH is a load error, and a cycle ends where it repeats.
  while (
    current?.multiplexing.parent &&
    !constraints.has(current.multiplexing.parent.multiplexer) &&
    constraints.size <= MAX_MULTIPLEXER_DEPTH
  ) {
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

/** The frame bits (0..511, byte × 8 + bit) a signal occupies. */
function occupiedBits(masks: Uint8Array): number[] {
  const bits: number[] = [];
  for (let byte = 0; byte < masks.length; byte++) {
    const mask = masks[byte]!;
    if (mask === 0) continue;
    for (let bit = 0; bit < 8; bit++) if ((mask & (1 << bit)) !== 0) bits.push(byte * 8 + bit);
  }
  return bits;
}

/** Presence groups the overlap check handles per message; real files have one per multiplexer value (≤ 256). */
const MAX_PRESENCE_GROUPS = 1024;

/**
 * Signals grouped by the multiplexer values they need (same switch chain, same ranges): signals of one group are
 * always present together, and whether two groups can be present together is decided once per pair of groups.
 */
class PresenceGroups {
  /** Group → the groups (itself included) whose signals can be present in the same frame. */
  readonly compatible: number[][] = [];
  private readonly conditions: Map<string, Ranges>[] = [];
  private readonly idByKey = new Map<string, number>();
  private readonly idBySwitch = new Map<string, number>();

  constructor(
    private readonly context: AssemblyContext,
    private readonly byName: ReadonlyMap<string, Signal>,
  ) {}

  /** The signal's group, or undefined when the comparison budget ran out. */
  groupOf(signal: Signal, depth = 0): number | undefined {
    const parent = signal.multiplexing.parent;
    const mux = parent && depth <= MAX_MULTIPLEXER_DEPTH ? this.byName.get(parent.multiplexer) : undefined;
    // Keys stay short: the switch's own group is a number, so a long chain is not spelt out in every key.
    let switchGroup = -1;
    if (mux !== undefined) {
      const known = this.idBySwitch.get(mux.name);
      switchGroup = known ?? this.groupOf(mux, depth + 1) ?? -2;
      if (switchGroup === -2) return undefined;
      this.idBySwitch.set(mux.name, switchGroup);
    }
    const key = parent === undefined ? '' : `${switchGroup}/${parent.multiplexer}:${parent.ranges.join(',')}`;
    const id = this.idByKey.get(key);
    return id ?? this.addGroup(key, presenceConditions(signal, this.byName));
  }

  private addGroup(key: string, conditions: Map<string, Ranges>): number | undefined {
    const id = this.conditions.length;
    // Group pairs cost time and memory (compatible lists) quadratic in the groups: both stay bounded.
    if (id >= MAX_PRESENCE_GROUPS) return undefined;
    this.context.overlapComparisonsLeft -= id;
    if (this.context.overlapComparisonsLeft < 0) return undefined;
    this.idByKey.set(key, id);
    this.conditions.push(conditions);
    this.compatible.push([id]);
    for (let other = 0; other < id; other++) {
      if (neverPresentTogether(conditions, this.conditions[other]!)) continue;
      this.compatible[id]!.push(other);
      this.compatible[other]!.push(id);
    }
    return id;
  }
}

/**
 * One warning per signal that shares bits with an earlier signal it can be present with, naming the first such
 * signal. Near-linear: every bit of the frame (at most 64 × 8) records, per presence group, the first signal on it,
 * and a signal looks up its bits in the groups it can be present with only. A file-wide budget of comparisons bounds
 * the pathological cases (thousands of multiplexer groups that can all be present together).
 */
function warnAboutOverlaps(context: AssemblyContext, message: Message, placed: readonly PlacedSignal[]): void {
  // Once the file's budget is spent, later messages are not checked (the limit was reported once).
  if (placed.length < 2 || context.overlapComparisonsLeft < 0) return;
  const groups = new PresenceGroups(context, new Map(message.signals.map((s) => [s.name, s])));
  /** Per bit: presence group → the first signal (index into placed) on that bit. */
  const firstOnBit: Map<number, number>[] = Array.from({ length: 64 * 8 }, () => new Map<number, number>());
  for (let j = 0; j < placed.length; j++) {
    const group = groups.groupOf(placed[j]!.signal);
    if (group === undefined) return stopOverlapCheck(context, message, placed[j]!);
    const bits = occupiedBits(placed[j]!.masks);
    const compatible = groups.compatible[group]!;
    context.overlapComparisonsLeft -= bits.length * compatible.length;
    if (context.overlapComparisonsLeft < 0) return stopOverlapCheck(context, message, placed[j]!);
    let first = -1;
    for (const bit of bits) {
      const onBit = firstOnBit[bit]!;
      for (const other of compatible) {
        const i = onBit.get(other);
        if (i !== undefined && (first === -1 || i < first)) first = i;
      }
      if (!onBit.has(group)) onBit.set(group, j);
    }
    if (first === -1) continue;
    context.warn(
      'DBC_OVERLAPPING_SIGNALS',
      `Signal ${placed[j]!.signal.name} of message ${message.name} overlaps signal ${placed[first]!.signal.name}; ` +
        'each decodes on its own.',
      placed[j]!.raw.layoutPos,
    );
  }
}

function stopOverlapCheck(context: AssemblyContext, message: Message, at: PlacedSignal): void {
  const limit =
    context.overlapComparisonsLeft < 0
      ? `after ${MAX_OVERLAP_COMPARISONS} comparisons in the file`
      : `at ${MAX_PRESENCE_GROUPS} combinations of multiplexer values`;
  context.warn(
    'DBC_CHECK_LIMIT',
    `The overlap check of message ${message.name} stopped ${limit}; overlaps from here on are not reported.`,
    at.raw.layoutPos,
  );
}
