/**
 * compileDatabase: Database → CompiledDatabase, done once per DBC. For every message it builds
 *  - the decode tree (which signals are present for which raw multiplexer values, as cantools decides), used by the
 *    per-frame API, and
 *  - a batch decoder: a JS function specialised for the message, generated with `new Function` from the message's
 *    numbers only (bit positions, masks, scales, offsets, signal ids; never a name or any other text from the file),
 *    or, with `{ codegen: false }`, an interpreter over the same plans (about 8× slower, measured with
 *    `telltale bench decode --interpreted`; for environments that forbid code generation).
 *
 * Batch decoder contract (see decode-batch.ts): `(data, offset, frameIndex, signalIds, values, frameIndexes, n)`
 * writes one (id, value, frame) triple per present signal starting at slot n and returns the next free slot, or a
 * negative DecodeErrorReason when the frame cannot be decoded (the caller discards what was written). The caller
 * guarantees `maxOutputs` free slots and at least `message.length` bytes at `offset`.
 */
import { DbcError } from './errors.js';
import { fitsInLength } from './layout.js';
import type { Database, Message, Signal } from './model.js';
import { extractionPlan, readRaw, type Chunk, type ExtractionPlan, type Field } from './extract.js';

/** Why a frame was not decoded; small numbers, stored in a Uint8Array by the batch API. */
export const DecodeErrorReason = {
  /** No message with this (id, extended) in the database. */
  UNKNOWN_ID: 1,
  /** The frame is shorter than the message length. */
  SHORT_FRAME: 2,
  /** A multiplexer's raw value selects no signals and has no VAL_ label. */
  BAD_MULTIPLEXER: 3,
  /** The frame itself is malformed (length above 64, bytes missing from the data column). */
  BAD_INPUT: 4,
} as const;
export type DecodeErrorReason = (typeof DecodeErrorReason)[keyof typeof DecodeErrorReason];

export const DECODE_ERROR_REASON_NAMES: Readonly<Record<number, string>> = {
  1: 'UNKNOWN_ID',
  2: 'SHORT_FRAME',
  3: 'BAD_MULTIPLEXER',
  4: 'BAD_INPUT',
};

export interface CompiledSignal {
  /** The id written to the batch output (options.signalId, else `index`). */
  readonly id: number;
  /** Position in the database-wide order: messages in file order, signals in message order. */
  readonly index: number;
  readonly message: Message;
  readonly signal: Signal;
  readonly plan: ExtractionPlan;
  /** False for a signal reaching past its message's length (accepted with strict: false): it never decodes. */
  readonly decodable: boolean;
}

/** Signals present at one level of multiplexing, and the switches found among them. */
export interface DecodeNode {
  readonly signals: readonly CompiledSignal[];
  readonly switches: readonly MultiplexerSwitch[];
}

export interface MultiplexerSwitch {
  readonly signal: CompiledSignal;
  /** Sorted, disjoint ranges of raw switch values; a value in none of them is a decode error. */
  readonly segments: readonly { readonly low: number; readonly high: number; readonly node: DecodeNode }[];
}

export type BatchMessageDecoder = (
  data: Uint8Array,
  offset: number,
  frameIndex: number,
  signalIds: Uint32Array,
  values: Float64Array,
  frameIndexes: Uint32Array,
  n: number,
) => number;

export interface CompiledMessage {
  readonly index: number;
  readonly message: Message;
  /** All of the message's signals, in message order. */
  readonly signals: readonly CompiledSignal[];
  readonly root: DecodeNode;
  /** Most signals one frame can produce: the sink keeps this many slots free before calling `decode`. */
  readonly maxOutputs: number;
  readonly decode: BatchMessageDecoder;
}

export interface CompiledDatabase {
  readonly database: Database;
  readonly messages: readonly CompiledMessage[];
  /** Every signal in the database-wide order (`CompiledSignal.index`). */
  readonly signals: readonly CompiledSignal[];
  /** The message for a frame, or undefined: unknown ids are data, not exceptions. */
  readonly lookup: (frameId: number, extended: boolean) => CompiledMessage | undefined;
  /** Message index for a frame, -1 when unknown (allocation-free form of lookup for hot loops). */
  readonly lookupIndex: (frameId: number, extended: boolean) => number;
  /** The signal written with a given output id. */
  readonly signalById: (id: number) => CompiledSignal | undefined;
}

export interface CompileOptions {
  /** Output id per signal (e.g. the catalog's persistent ids); default: the database-wide index. */
  readonly signalId?: (message: Message, signal: Signal) => number;
  /** Generate specialised JS per message (default true); false uses the plan interpreter. */
  readonly codegen?: boolean;
}

// ---- decode tree ----

function buildTree(message: Message, signals: readonly CompiledSignal[]): DecodeNode {
  const switchMemo = new Map<string, MultiplexerSwitch | undefined>();
  const childrenOf = (name: string): CompiledSignal[] =>
    signals.filter((s) => s.signal.multiplexing.parent?.multiplexer === name);

  const node = (members: readonly CompiledSignal[]): DecodeNode => ({
    signals: members,
    switches: members.flatMap((s) => {
      const sw = s.signal.multiplexing.isMultiplexer ? switchFor(s) : undefined;
      return sw ? [sw] : [];
    }),
  });

  function switchFor(mux: CompiledSignal): MultiplexerSwitch | undefined {
    if (switchMemo.has(mux.signal.name)) return switchMemo.get(mux.signal.name);
    switchMemo.set(mux.signal.name, undefined); // guards against cycles (which never reach the root anyway)
    const children = childrenOf(mux.signal.name);
    // As cantools: values with a VAL_ label are valid even when no signal depends on them (an empty branch).
    const labelled: number[] = [];
    for (const key of mux.signal.choices.keys()) {
      const value = Number(key);
      if (Number.isSafeInteger(value)) labelled.push(value);
    }
    const bounds = new Set<number>();
    for (const child of children) {
      for (const [low, high] of child.signal.multiplexing.parent!.ranges) {
        bounds.add(low);
        bounds.add(high + 1);
      }
    }
    for (const value of labelled) {
      bounds.add(value);
      bounds.add(value + 1);
    }
    const labelledSet = new Set(labelled);
    const points = [...bounds].sort((a, b) => a - b);
    const segments: { low: number; high: number; node: DecodeNode; key: string }[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const low = points[i]!;
      const high = points[i + 1]! - 1;
      const active = children.filter((c) =>
        c.signal.multiplexing.parent!.ranges.some(([l, h]) => l <= low && low <= h),
      );
      if (active.length === 0 && !(low === high && labelledSet.has(low))) continue;
      const key = active.map((c) => c.signal.name).join('\u0000');
      const previous = segments[segments.length - 1];
      if (previous && previous.high + 1 === low && previous.key === key) {
        previous.high = high;
        continue;
      }
      segments.push({ low, high, node: node(active), key });
    }
    // A switch with no dependent signals and no labels is an ordinary signal (cantools makes no branch for it).
    const result =
      segments.length === 0
        ? undefined
        : { signal: mux, segments: segments.map(({ low, high, node }) => ({ low, high, node })) };
    switchMemo.set(mux.signal.name, result);
    return result;
  }

  return node(signals.filter((s) => s.signal.multiplexing.parent === undefined));
}

function maxOutputs(node: DecodeNode): number {
  let count = node.signals.filter((s) => s.decodable).length;
  for (const sw of node.switches) count += Math.max(0, ...sw.segments.map((s) => maxOutputs(s.node)));
  return count;
}

// ---- code generation ----

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
const scratchF32 = new Float32Array(scratchF64.buffer);
/** Index of the low and high 32-bit halves of the float64 scratch. */
const LO = LITTLE_ENDIAN_HOST ? 0 : 1;
const HI = 1 - LO;

/** A number as JS source; every number here comes from the DBC's numeric fields and is finite. */
function lit(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Cannot emit non-finite number ${value}.`);
  const text = Object.is(value, -0) ? '-0' : String(value);
  return value < 0 || Object.is(value, -0) ? `(${text})` : text;
}

function chunkSource(chunk: Chunk, bytes: Set<number>): string {
  const names: string[] = [];
  for (let k = 0; k < chunk.byteCount; k++) {
    bytes.add(chunk.firstByte + k);
    names.push(`b${chunk.firstByte + k}`);
  }
  let word: string;
  let leftShift: number;
  if (chunk.byteOrder === 'little_endian') {
    word = names.map((name, k) => (k === 0 ? name : `${name} << ${8 * k}`)).join(' | ');
    leftShift = 32 - chunk.bitOffset - chunk.bits;
  } else {
    word = names
      .map((name, k) => (k === chunk.byteCount - 1 ? name : `${name} << ${8 * (chunk.byteCount - 1 - k)}`))
      .join(' | ');
    leftShift = 32 - 8 * chunk.byteCount + chunk.bitOffset;
  }
  // Whole bytes need no shifting (the word is non-negative below 32 bits).
  if (!chunk.signed && chunk.bitOffset === 0 && chunk.bits === 8 * chunk.byteCount && chunk.bits < 32) {
    return chunk.byteCount === 1 ? word : `(${word})`;
  }
  const left = leftShift === 0 ? `(${word})` : `((${word}) << ${leftShift})`;
  return `(${left} ${chunk.signed ? '>>' : '>>>'} ${32 - chunk.bits})`;
}

function fieldSource(field: Field, bytes: Set<number>): string {
  const terms = field.chunks.map((chunk) => {
    const source = chunkSource(chunk, bytes);
    return chunk.shift === 0 ? source : `${source} * ${2 ** chunk.shift}`;
  });
  return terms.length === 1 ? terms[0]! : `(${terms.join(' + ')})`;
}

function rawSource(plan: ExtractionPlan, bytes: Set<number>): string {
  switch (plan.kind) {
    case 'int':
      return fieldSource(plan.field, bytes);
    case 'wide':
      // Both halves exact, so the sum is rounded once (see extract.ts).
      return `(${fieldSource(plan.hi, bytes)} * 4294967296 + ${fieldSource(plan.lo, bytes)})`;
    case 'float32':
      return `(u32[0] = ${fieldSource(plan.bits, bytes)}, f32[0])`;
    case 'float64':
      return `(u32[${HI}] = ${fieldSource(plan.hi, bytes)}, u32[${LO}] = ${fieldSource(plan.lo, bytes)}, f64[0])`;
  }
}

function physicalSource(raw: string, signal: Signal): string {
  let out = raw;
  if (signal.scale !== 1) out = `${out} * ${lit(signal.scale)}`;
  if (signal.offset !== 0 || Object.is(signal.offset, -0)) out = `${out} + ${lit(signal.offset)}`;
  return out;
}

interface CodegenState {
  bytes: Set<number>;
  nextVar: number;
}

function nodeSource(node: DecodeNode, state: CodegenState, indent: string): string {
  const lines: string[] = [];
  const switchVars = new Map<CompiledSignal, string>();
  // Slots are written at constant offsets from n, and n moves once per straight run of signals.
  let slot = 0;
  for (const compiled of node.signals) {
    if (!compiled.decodable) continue;
    const raw = rawSource(compiled.plan, state.bytes);
    const isSwitch = node.switches.some((sw) => sw.signal === compiled);
    let value = raw;
    if (isSwitch) {
      const name = `m${state.nextVar++}`;
      switchVars.set(compiled, name);
      lines.push(`${indent}const ${name} = ${raw};`);
      value = name;
    }
    const at = slot === 0 ? 'n' : `n + ${slot}`;
    lines.push(
      `${indent}sid[${at}] = ${compiled.id}; val[${at}] = ${physicalSource(value, compiled.signal)}; fidx[${at}] = fi;`,
    );
    slot++;
  }
  if (slot > 0) lines.push(`${indent}n += ${slot};`);
  for (const sw of node.switches) {
    const variable = switchVars.get(sw.signal);
    if (variable === undefined) continue; // an undecodable switch selects nothing
    // Group values that select the same signals.
    const groups = new Map<DecodeNode, { low: number; high: number }[]>();
    for (const segment of sw.segments) {
      const list = groups.get(segment.node) ?? [];
      list.push(segment);
      groups.set(segment.node, list);
    }
    const allSingle = sw.segments.every((s) => s.low === s.high);
    if (allSingle) {
      lines.push(`${indent}switch (${variable}) {`);
      for (const [child, segments] of groups) {
        const labels = segments.map((s) => `case ${lit(s.low)}:`).join(' ');
        lines.push(`${indent}  ${labels} {`);
        lines.push(nodeSource(child, state, `${indent}    `));
        lines.push(`${indent}    break;`);
        lines.push(`${indent}  }`);
      }
      lines.push(`${indent}  default: return -${DecodeErrorReason.BAD_MULTIPLEXER};`);
      lines.push(`${indent}}`);
    } else {
      let first = true;
      for (const [child, segments] of groups) {
        const condition = segments
          .map((s) =>
            s.low === s.high
              ? `${variable} === ${lit(s.low)}`
              : `(${variable} >= ${lit(s.low)} && ${variable} <= ${lit(s.high)})`,
          )
          .join(' || ');
        lines.push(`${indent}${first ? '' : '} else '}if (${condition}) {`);
        lines.push(nodeSource(child, state, `${indent}  `));
        first = false;
      }
      lines.push(`${indent}} else {`);
      lines.push(`${indent}  return -${DecodeErrorReason.BAD_MULTIPLEXER};`);
      lines.push(`${indent}}`);
    }
  }
  return lines.filter((l) => l !== '').join('\n');
}

/** The generated source of a message's batch decoder (exported for tests and curious readers). */
export function batchDecoderSource(root: DecodeNode, messageIndex: number): string {
  const state: CodegenState = { bytes: new Set(), nextVar: 0 };
  const body = nodeSource(root, state, '    ');
  const loads = [...state.bytes].sort((a, b) => a - b).map((k) => `    const b${k} = d[o + ${k}];`);
  return [
    `  return function decodeMessage${messageIndex}(d, o, fi, sid, val, fidx, n) {`,
    ...loads,
    body,
    '    return n;',
    '  };',
  ].join('\n');
}

function generateDecoder(root: DecodeNode, messageIndex: number): BatchMessageDecoder {
  const source = batchDecoderSource(root, messageIndex);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the source is built from the DBC's numbers only.
  const factory = new Function('u32', 'f32', 'f64', source) as (
    u32: Uint32Array,
    f32: Float32Array,
    f64: Float64Array,
  ) => BatchMessageDecoder;
  return factory(scratchU32, scratchF32, scratchF64);
}

// ---- interpreter ----

function interpretedDecoder(root: DecodeNode): BatchMessageDecoder {
  // Allocation-free: a switch's raw value is read again when its branch is chosen rather than kept in a map.
  const run = (
    node: DecodeNode,
    d: Uint8Array,
    o: number,
    fi: number,
    sid: Uint32Array,
    val: Float64Array,
    fidx: Uint32Array,
    start: number,
  ): number => {
    let n = start;
    for (const compiled of node.signals) {
      if (!compiled.decodable) continue;
      const raw = readRaw(compiled.plan, d, o, false) as number;
      const { scale, offset } = compiled.signal;
      sid[n] = compiled.id;
      val[n] = scale === 1 ? raw + offset : raw * scale + offset;
      fidx[n++] = fi;
    }
    for (const sw of node.switches) {
      if (!sw.signal.decodable) continue;
      const value = readRaw(sw.signal.plan, d, o, false) as number;
      let segment: (typeof sw.segments)[number] | undefined;
      for (const s of sw.segments) {
        if (s.low <= value && value <= s.high) {
          segment = s;
          break;
        }
      }
      if (segment === undefined) return -DecodeErrorReason.BAD_MULTIPLEXER;
      n = run(segment.node, d, o, fi, sid, val, fidx, n);
      if (n < 0) return n;
    }
    return n;
  };
  return (d, o, fi, sid, val, fidx, n) => run(root, d, o, fi, sid, val, fidx, n);
}

// ---- lookup ----

/** Open-addressing table from extended id to message index (Map.get is several times slower on the hot path). */
class ExtendedIdTable {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;

  constructor(entries: readonly (readonly [number, number])[]) {
    let capacity = 16;
    while (capacity < entries.length * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keys = new Int32Array(capacity).fill(-1);
    this.values = new Int32Array(capacity).fill(-1);
    for (const [key, value] of entries) {
      let slot = this.slot(key);
      while (this.keys[slot] !== -1 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = value;
    }
  }

  private slot(key: number): number {
    return (Math.imul(key, 0x9e3779b1) >>> 0) & this.mask;
  }

  get(key: number): number {
    let slot = this.slot(key);
    for (;;) {
      const k = this.keys[slot]!;
      if (k === key) return this.values[slot]!;
      if (k === -1) return -1;
      slot = (slot + 1) & this.mask;
    }
  }
}

export function compileDatabase(database: Database, options: CompileOptions = {}): CompiledDatabase {
  const codegen = options.codegen ?? true;
  const messages: CompiledMessage[] = [];
  const allSignals: CompiledSignal[] = [];
  const byId = new Map<number, CompiledSignal>();
  const standard = new Int32Array(0x800).fill(-1);
  const extended: [number, number][] = [];

  database.messages.forEach((message, messageIndex) => {
    const signals = message.signals.map((signal): CompiledSignal => {
      const index = allSignals.length;
      const id = options.signalId ? options.signalId(message, signal) : index;
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
        throw new DbcError(
          'DBC_SIGNAL_ID_INVALID',
          `Signal id ${id} of ${message.name}.${signal.name} must be an integer in 0..4294967295.`,
        );
      }
      const clash = byId.get(id);
      if (clash !== undefined) {
        throw new DbcError(
          'DBC_SIGNAL_ID_INVALID',
          `Signal ids collide: ${message.name}.${signal.name} and ` +
            `${clash.message.name}.${clash.signal.name} both have id ${id}.`,
        );
      }
      const compiled: CompiledSignal = {
        id,
        index,
        message,
        signal,
        plan: extractionPlan(signal),
        decodable: signal.length >= 1 && signal.length <= 64 && fitsInLength(signal, message.length),
      };
      allSignals.push(compiled);
      byId.set(id, compiled);
      return compiled;
    });
    const root = buildTree(message, signals);
    messages.push({
      index: messageIndex,
      message,
      signals,
      root,
      maxOutputs: maxOutputs(root),
      decode: codegen ? generateDecoder(root, messageIndex) : interpretedDecoder(root),
    });
    // A later definition of the same frame wins, as in cantools.
    if (message.isExtended) extended.push([message.frameId, messageIndex]);
    else standard[message.frameId] = messageIndex;
  });

  const extendedTable = new ExtendedIdTable([...new Map(extended).entries()]);
  const lookupIndex = (frameId: number, isExtended: boolean): number => {
    if (isExtended) return frameId >= 0 && frameId <= 0x1fffffff ? extendedTable.get(frameId) : -1;
    return frameId >= 0 && frameId <= 0x7ff ? standard[frameId]! : -1;
  };
  return {
    database,
    messages,
    signals: allSignals,
    lookupIndex,
    lookup: (frameId, isExtended) => {
      const index = lookupIndex(frameId, isExtended);
      return index < 0 ? undefined : messages[index];
    },
    signalById: (id) => byId.get(id),
  };
}
