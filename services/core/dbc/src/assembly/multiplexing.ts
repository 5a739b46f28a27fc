/**
 * Multiplexing as cantools reads it: the m/M indicators of SG_ lines plus SG_MUL_VAL_ (extended multiplexing).
 *
 * With exactly one switch (M or mNM) in the message, `mN` signals hang off it with value N plus any SG_MUL_VAL_
 * ranges. With several switches (nested or independent multiplexing) only SG_MUL_VAL_ says which switch a signal
 * belongs to and for which values; `mN` alone is then ambiguous. Plain signals (no indicator) are always present.
 */
import type { Multiplexing } from '../model.js';
import type { RawMessage, RawSignal, SourcePosition } from '../parser.js';
import { getOrCreate, type AssemblyContext } from './context.js';

export type Ranges = readonly (readonly [number, number])[];

/** Deepest switch nesting a file may use (real files: 3); see checkSwitchChains. */
export const MAX_MULTIPLEXER_DEPTH = 16;

interface MultiplexerValue {
  readonly ranges: Ranges;
  readonly pos: SourcePosition;
}

/** SG_MUL_VAL_ of one message: multiplexer → signal → ranges. */
export type MessageMultiplexerValues = Map<string, Map<string, MultiplexerValue>>;

/** SG_MUL_VAL_ per raw message id; a later statement for the same (multiplexer, signal) pair wins. */
export function collectMultiplexerValues(context: AssemblyContext): Map<number, MessageMultiplexerValues> {
  const values = new Map<number, MessageMultiplexerValues>();
  for (const entry of context.doc.multiplexerValues) {
    if (!context.isKnownSignal(entry.rawId, entry.signal, 'SG_MUL_VAL_', entry.pos)) continue;
    if (!context.isKnownSignal(entry.rawId, entry.multiplexer, 'SG_MUL_VAL_', entry.pos)) continue;
    const perMessage = getOrCreate(values, entry.rawId, (): MessageMultiplexerValues => new Map());
    getOrCreate(perMessage, entry.multiplexer, () => new Map<string, MultiplexerValue>()).set(entry.signal, {
      ranges: entry.ranges,
      pos: entry.pos,
    });
  }
  return values;
}

export function mergeRanges(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = out[out.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else out.push([low, high]);
  }
  return out;
}

export function rangesIntersect(a: Ranges, b: Ranges): boolean {
  for (const [al, ah] of a) for (const [bl, bh] of b) if (al <= bh && bl <= ah) return true;
  return false;
}

/** What the message's SG_ lines say about multiplexing, shared by the per-signal rules below. */
interface MessageSwitches {
  readonly raw: RawMessage;
  readonly values: MessageMultiplexerValues | undefined;
  /** Signals that are switches (M or mNM). */
  readonly switchNames: ReadonlySet<string>;
  /** The switch when the message has exactly one. */
  readonly single: string | undefined;
  /** Signal → the multiplexer an SG_MUL_VAL_ hangs it off. */
  readonly signalToMultiplexer: ReadonlyMap<string, string>;
}

/** Each signal's multiplexing (the parent keeps names as written; long names are applied by the caller). */
export function resolveMultiplexing(
  context: AssemblyContext,
  raw: RawMessage,
  values: MessageMultiplexerValues | undefined,
): Map<RawSignal, Multiplexing> {
  const switches = raw.signals.filter((s) => s.muxIndicator?.endsWith('M'));
  const signalToMultiplexer = new Map<string, string>();
  for (const [mux, entries] of values ?? []) for (const name of entries.keys()) signalToMultiplexer.set(name, mux);
  const message: MessageSwitches = {
    raw,
    values,
    switchNames: new Set(switches.map((s) => s.name)),
    single: switches.length === 1 ? switches[0]!.name : undefined,
    signalToMultiplexer,
  };
  const result = new Map<RawSignal, Multiplexing>();
  for (const signal of raw.signals) result.set(signal, signalMultiplexing(context, message, signal));
  checkSwitchChains(context, raw, result);
  return result;
}

function signalMultiplexing(context: AssemblyContext, message: MessageSwitches, signal: RawSignal): Multiplexing {
  const indicator = signal.muxIndicator;
  const isMultiplexer = indicator?.endsWith('M') ?? false;
  const where = `Signal ${signal.name} of message ${message.raw.name}`;
  if (indicator === undefined) {
    if (message.signalToMultiplexer.has(signal.name)) {
      context.warn(
        'DBC_MULTIPLEXING',
        `${where} has SG_MUL_VAL_ values but no m<N> indicator; it is always present.`,
        signal.pos,
      );
    }
    return { isMultiplexer };
  }
  const parent =
    message.single !== undefined
      ? parentOfTheOnlySwitch(message, signal, message.single)
      : parentFromMultiplexerValues(context, message, signal);
  if (parent !== undefined && !message.switchNames.has(parent.multiplexer)) {
    context.warn(
      'DBC_MULTIPLEXING',
      `${where} depends on ${parent.multiplexer}, which is not a multiplexer switch (M); it never decodes.`,
      signal.pos,
    );
  }
  return parent === undefined ? { isMultiplexer } : { isMultiplexer, parent };
}

/** One switch: `mN` hangs off it with N plus its SG_MUL_VAL_ ranges; `mNM` only with SG_MUL_VAL_ ranges. */
function parentOfTheOnlySwitch(message: MessageSwitches, signal: RawSignal, single: string): Multiplexing['parent'] {
  const indicator = signal.muxIndicator!;
  // A bare `m` (no value) cannot hang off the switch: it stays a plain signal.
  if (signal.name === single || indicator === 'm') return undefined;
  const ranges: (readonly [number, number])[] = [];
  if (!indicator.endsWith('M')) {
    const value = Number(indicator.slice(1));
    ranges.push([value, value]);
  }
  const extra = message.values?.get(single)?.get(signal.name);
  for (const range of extra?.ranges ?? []) ranges.push(range);
  return ranges.length > 0 ? { multiplexer: single, ranges: mergeRanges(ranges) } : undefined;
}

/** No or several switches: only SG_MUL_VAL_ names the parent; `mN` without one is always present (warned). */
function parentFromMultiplexerValues(
  context: AssemblyContext,
  message: MessageSwitches,
  signal: RawSignal,
): Multiplexing['parent'] {
  const indicator = signal.muxIndicator!;
  const mux = message.signalToMultiplexer.get(signal.name);
  if (mux !== undefined) {
    return { multiplexer: mux, ranges: mergeRanges(message.values!.get(mux)!.get(signal.name)!.ranges) };
  }
  if (!indicator.endsWith('M') && indicator !== 'm') {
    const why =
      message.switchNames.size === 0
        ? 'the message has no multiplexer switch (M)'
        : 'the message has several switches and no SG_MUL_VAL_ names one for it';
    context.warn(
      'DBC_MULTIPLEXING',
      `Signal ${signal.name} of message ${message.raw.name} is marked ${indicator} but ${why}; it is always present.`,
      signal.pos,
    );
  }
  return undefined;
}

/** Signal → how many switches lie above it (0 for a root signal), or CYCLE when its chain never reaches a root. */
const CYCLE = -1;

function switchChainDepths(raw: RawMessage, result: ReadonlyMap<RawSignal, Multiplexing>): Map<RawSignal, number> {
  const byName = new Map(raw.signals.map((s) => [s.name, s]));
  const depths = new Map<RawSignal, number>();
  // Each signal is walked once: a walk stops at the first signal whose depth is known, then fills in its path.
  for (const start of raw.signals) {
    const path: RawSignal[] = [];
    const onPath = new Set<RawSignal>();
    let base = 0;
    let current: RawSignal | undefined = start;
    while (current !== undefined) {
      const known = depths.get(current);
      if (known !== undefined) {
        base = known === CYCLE ? CYCLE : known + 1;
        break;
      }
      if (onPath.has(current)) {
        base = CYCLE;
        break;
      }
      const parent = result.get(current)?.parent;
      if (parent === undefined) {
        depths.set(current, 0);
        base = 1;
        break;
      }
      onPath.add(current);
      path.push(current);
      current = byName.get(parent.multiplexer);
    }
    // A parent that is no signal of the message ends the chain like a root (reported as "not a switch").
    if (current === undefined) base = 1;
    for (let k = path.length - 1; k >= 0; k--, base = base === CYCLE ? CYCLE : base + 1) depths.set(path[k]!, base);
  }
  return depths;
}

/**
 * A switch chain that never reaches a root signal (a cycle) never decodes: a warning. One deeper than
 * MAX_MULTIPLEXER_DEPTH is a load error: no real file comes near it, and it bounds the decode tree's depth.
 */
function checkSwitchChains(context: AssemblyContext, raw: RawMessage, result: Map<RawSignal, Multiplexing>): void {
  const depths = switchChainDepths(raw, result);
  for (const signal of raw.signals) {
    const depth = depths.get(signal)!;
    const where = `Signal ${signal.name} of message ${raw.name}`;
    if (depth === CYCLE) {
      context.warn('DBC_MULTIPLEXING', `${where} sits in a multiplexer cycle; it never decodes.`, signal.pos);
    } else if (depth > MAX_MULTIPLEXER_DEPTH) {
      const problem = `hangs ${depth} switches deep, past the limit of ${MAX_MULTIPLEXER_DEPTH}`;
      context.report('error', 'DBC_MULTIPLEXING', `${where} ${problem}.`, signal.pos);
    }
  }
}
