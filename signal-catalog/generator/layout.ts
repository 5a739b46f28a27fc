/**
 * Message definitions → DBC model. Definitions name their signals and sizes; this module places the bits (first
 * fit, byte-aligned when a signal is whole bytes, as production matrices do) so no definition can overlap two
 * signals or overrun a frame, and derives DBC min/max from the raw range when a definition gives none.
 */
import { byteMasks, lastByteIndex } from '@telltale/dbc';
import type { ByteOrder, Message, Multiplexing, Signal } from '@telltale/dbc';

/** VAL_ table: raw value → label. */
export type ValueTable = readonly (readonly [number, string])[];

export interface SignalSpec {
  readonly name: string;
  readonly length: number;
  readonly signed?: boolean;
  readonly scale?: number;
  readonly offset?: number;
  /** Physical range; defaults to what the raw range can carry. */
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly choices?: ValueTable;
  readonly comment?: string;
  readonly receivers?: readonly string[];
  /** IEEE float carried in 32 bits (SIG_VALTYPE_ 1). */
  readonly float32?: boolean;
  /** Overrides the message's byte order. */
  readonly byteOrder?: ByteOrder;
}

export interface MuxPageSpec {
  /** Switch values that select the page: one value (`mN`) or ranges (written as SG_MUL_VAL_). */
  readonly values: number | readonly (readonly [number, number])[];
  readonly signals: readonly SignalSpec[];
  /** A multiplexer inside this page (extended multiplexing, `mNM`). */
  readonly nested?: MuxSpec;
}

export interface MuxSpec {
  readonly switch: SignalSpec;
  readonly pages: readonly MuxPageSpec[];
}

export interface MessageSpec {
  readonly name: string;
  /** Explicit frame id; when absent the bus allocates one from the range that matches the cycle time. */
  readonly frameId?: number;
  readonly extended?: boolean;
  readonly fd?: boolean;
  readonly length: number;
  readonly sender: string;
  /** GenMsgCycleTime; absent for an event-driven message. */
  readonly cycleTimeMs?: number;
  readonly comment?: string;
  readonly byteOrder?: ByteOrder;
  /** Default receivers of the message's signals. */
  readonly receivers?: readonly string[];
  readonly signals: readonly SignalSpec[];
  readonly mux?: MuxSpec;
}

const FD_LENGTHS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]);
/** Vector tools truncate longer names; production matrices keep to it. */
const MAX_NAME_LENGTH = 32;

class Occupancy {
  /** One bit mask per byte, as dbc/layout.ts's byteMasks numbers them. */
  private readonly used: Uint8Array;

  constructor(
    private readonly frameBytes: number,
    used?: Uint8Array,
  ) {
    this.used = used ? used.slice() : new Uint8Array(64);
  }

  copy(): Occupancy {
    return new Occupancy(this.frameBytes, this.used);
  }

  /** First free place for the signal, scanning in frame order; returns its DBC start bit. */
  place(name: string, length: number, byteOrder: ByteOrder): number {
    const aligned = length % 8 === 0;
    for (let position = 0; position + length <= this.frameBytes * 8; position += aligned ? 8 : 1) {
      // Intel positions are LSB-first; Motorola ones MSB-first within each byte (the DBC start bit is the MSB).
      const startBit = byteOrder === 'little_endian' ? position : Math.floor(position / 8) * 8 + (7 - (position % 8));
      const geometry = { startBit, length, byteOrder };
      if (lastByteIndex(geometry) >= this.frameBytes) continue;
      const masks = byteMasks(geometry);
      if (masks.every((mask, i) => (mask & this.used[i]!) === 0)) {
        masks.forEach((mask, i) => (this.used[i]! |= mask));
        return startBit;
      }
    }
    throw new Error(`signal ${name} (${length} bits) does not fit`);
  }
}

function rawRange(length: number, signed: boolean): [number, number] {
  return signed ? [-(2 ** (length - 1)), 2 ** (length - 1) - 1] : [0, 2 ** length - 1];
}

/** Rounds away binary noise (0.1 × 3) so DBC text stays short and exact. */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

function toSignal(
  spec: SignalSpec,
  startBit: number,
  byteOrder: ByteOrder,
  multiplexing: Multiplexing,
  defaultReceivers: readonly string[],
): Signal {
  const scale = spec.scale ?? 1;
  const offset = spec.offset ?? 0;
  const signed = spec.signed ?? false;
  const [rawMin, rawMax] = rawRange(spec.length, signed);
  return {
    name: spec.name,
    startBit,
    length: spec.length,
    byteOrder,
    isSigned: spec.float32 === true ? true : signed,
    valueType: spec.float32 === true ? 'float32' : 'integer',
    scale,
    offset,
    minimum: spec.min ?? tidy(rawMin * scale + offset),
    maximum: spec.max ?? tidy(rawMax * scale + offset),
    unit: spec.unit ?? '',
    receivers: spec.receivers ?? defaultReceivers,
    choices: new Map((spec.choices ?? []).map(([raw, label]) => [String(raw), label])),
    comment: spec.comment,
    multiplexing,
    attributes: {},
  };
}

function checkSignal(message: string, spec: SignalSpec): void {
  if (spec.name.length > MAX_NAME_LENGTH) throw new Error(`${message}.${spec.name}: name longer than 32`);
  if (spec.float32 === true && spec.length !== 32) throw new Error(`${message}.${spec.name}: float32 needs 32 bits`);
  if (spec.length < 1 || spec.length > 64) throw new Error(`${message}.${spec.name}: bad length ${spec.length}`);
}

function pageRanges(values: MuxPageSpec['values']): readonly (readonly [number, number])[] {
  return typeof values === 'number' ? [[values, values]] : values;
}

/** Places every signal of a definition and returns the DBC message. */
export function layoutMessage(spec: MessageSpec, frameId: number): Message {
  if (spec.name.length > MAX_NAME_LENGTH) throw new Error(`${spec.name}: name longer than 32`);
  const fd = spec.fd ?? false;
  if (fd ? !FD_LENGTHS.has(spec.length) : spec.length > 8) throw new Error(`${spec.name}: bad length ${spec.length}`);
  const order = spec.byteOrder ?? 'little_endian';
  const receivers = spec.receivers ?? [];
  const signals: Signal[] = [];
  const root = new Occupancy(spec.length);

  const add = (signal: SignalSpec, occupancy: Occupancy, multiplexing: Multiplexing): void => {
    checkSignal(spec.name, signal);
    const byteOrder = signal.byteOrder ?? order;
    const startBit = occupancy.place(`${spec.name}.${signal.name}`, signal.length, byteOrder);
    signals.push(toSignal(signal, startBit, byteOrder, multiplexing, receivers));
  };

  const addPages = (mux: MuxSpec, occupancy: Occupancy): void => {
    checkDistinctPages(spec.name, mux);
    for (const page of mux.pages) {
      const pageOccupancy = occupancy.copy();
      const parent = { multiplexer: mux.switch.name, ranges: pageRanges(page.values) };
      if (page.nested) {
        add(page.nested.switch, pageOccupancy, { isMultiplexer: true, parent });
        addPages(page.nested, pageOccupancy);
      }
      for (const signal of page.signals) add(signal, pageOccupancy, { isMultiplexer: false, parent });
    }
  };

  // The switch goes first, at the head of the frame, where every sender and tool expects it.
  if (spec.mux) add(spec.mux.switch, root, { isMultiplexer: true });
  for (const signal of spec.signals) add(signal, root, { isMultiplexer: false });
  if (spec.mux) addPages(spec.mux, root);

  const names = new Set<string>();
  for (const signal of signals) {
    if (names.has(signal.name)) throw new Error(`${spec.name}: duplicate signal ${signal.name}`);
    names.add(signal.name);
  }

  return {
    frameId,
    isExtended: spec.extended ?? false,
    isFd: fd,
    name: spec.name,
    length: spec.length,
    senders: [spec.sender],
    signals,
    comment: spec.comment,
    cycleTimeMs: spec.cycleTimeMs,
    attributes: spec.cycleTimeMs === undefined ? { GenMsgSendType: 'Event' } : {},
  };
}

function checkDistinctPages(message: string, mux: MuxSpec): void {
  const claimed = new Set<number>();
  for (const page of mux.pages) {
    for (const [low, high] of pageRanges(page.values)) {
      for (let value = low; value <= high; value += 1) {
        if (claimed.has(value)) throw new Error(`${message}: switch value ${value} used by two pages`);
        claimed.add(value);
      }
    }
  }
}
