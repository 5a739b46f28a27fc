/**
 * Bit extraction against a naive bit-by-bit reference, for every start bit of the first 10 bytes, every length 1..64,
 * both byte orders, signed and unsigned: through the plan interpreter (exact, BigInt) and through the generated
 * batch code (doubles, correctly rounded beyond 53 bits).
 */
import { describe, expect, it } from 'vitest';
import { compileDatabase, type CompiledDatabase } from './compile.js';
import { decodeBatch, SignalSink } from './decode-batch.js';
import { extractionPlan, readRaw } from './extract.js';
import { fitsInLength } from './layout.js';
import type { ByteOrder, Database, Message, Signal, ValueType } from './model.js';

function bit(data: Uint8Array, p: number): bigint {
  return BigInt((data[p >> 3]! >> (p & 7)) & 1);
}

/** The textbook definition: Intel counts up from the LSB; Motorola walks the sawtooth from the MSB. */
function naiveRaw(data: Uint8Array, startBit: number, length: number, byteOrder: ByteOrder, signed: boolean): bigint {
  let value = 0n;
  if (byteOrder === 'little_endian') {
    for (let k = 0; k < length; k++) value |= bit(data, startBit + k) << BigInt(k);
  } else {
    let p = startBit;
    for (let k = 0; k < length; k++) {
      value = (value << 1n) | bit(data, p);
      p = p % 8 === 0 ? p + 15 : p - 1;
    }
  }
  if (signed && value >= 1n << BigInt(length - 1)) value -= 1n << BigInt(length);
  return value;
}

function signal(
  name: string,
  startBit: number,
  length: number,
  byteOrder: ByteOrder,
  isSigned: boolean,
  valueType: ValueType = 'integer',
): Signal {
  return {
    name,
    startBit,
    length,
    byteOrder,
    isSigned,
    valueType,
    scale: 1,
    offset: 0,
    minimum: undefined,
    maximum: undefined,
    unit: '',
    receivers: [],
    choices: new Map(),
    comment: undefined,
    multiplexing: { isMultiplexer: false },
    attributes: {},
  };
}

function message(frameId: number, signals: Signal[]): Message {
  return {
    frameId,
    isExtended: false,
    isFd: true,
    name: `M${frameId}`,
    length: 64,
    senders: [],
    signals,
    comment: undefined,
    cycleTimeMs: undefined,
    attributes: {},
  };
}

function database(messages: Message[]): Database {
  return { version: '', nodes: [], messages, attributes: {}, busType: undefined };
}

function randomBytes(seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length: 64 }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 24;
  });
}

/** Decodes one 64-byte frame per message with the batch API; returns values by signal index. */
function batchValues(compiled: CompiledDatabase, data: Uint8Array): Float64Array {
  const count = compiled.messages.length;
  const all = new Uint8Array(64 * count);
  for (let i = 0; i < count; i++) all.set(data, 64 * i);
  const sink = new SignalSink(16);
  decodeBatch(
    {
      count,
      canId: Uint32Array.from(compiled.messages, (m) => m.message.frameId),
      flags: new Uint8Array(count),
      length: new Uint8Array(count).fill(64),
      data: all,
    },
    compiled,
    sink,
  );
  const values = new Float64Array(compiled.signals.length).fill(NaN);
  for (let k = 0; k < sink.count; k++) values[sink.signalId[k]!] = sink.value[k]!;
  return values;
}

const orders: ByteOrder[] = ['little_endian', 'big_endian'];
const datas = [randomBytes(1), randomBytes(2), new Uint8Array(64).fill(0xff), new Uint8Array(64).fill(0x80)];

describe('bit extraction', () => {
  // One message per (length, order, sign) holding a signal at each start bit of the first 10 bytes (every bit offset,
  // every span up to 9 bytes).
  const messages: Message[] = [];
  for (let length = 1; length <= 64; length++) {
    for (const byteOrder of orders) {
      for (const signed of [false, true]) {
        const signals: Signal[] = [];
        for (let start = 0; start < 80; start++) {
          const s = signal(`S${start}`, start, length, byteOrder, signed);
          if (fitsInLength(s, 64)) signals.push(s);
        }
        messages.push(message(messages.length, signals));
      }
    }
  }
  const db = database(messages);

  it('reads every layout exactly through the plan interpreter', () => {
    let checked = 0;
    for (const data of datas) {
      for (const m of messages) {
        for (const s of m.signals) {
          const got = readRaw(extractionPlan(s), data, 0, true);
          const want = naiveRaw(data, s.startBit, s.length, s.byteOrder, s.isSigned);
          if (BigInt(got) !== want) {
            expect.fail(
              `${s.byteOrder} start ${s.startBit} length ${s.length} signed ${s.isSigned}: ${got} != ${want}`,
            );
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40000);
  });

  it('reads every layout through generated code and the interpreter, as correctly rounded doubles', () => {
    const compiledVariants = [compileDatabase(db, { codegen: true }), compileDatabase(db, { codegen: false })];
    for (const data of [datas[0]!, datas[3]!]) {
      const want = compiledVariants[0]!.signals.map((s) =>
        Number(naiveRaw(data, s.signal.startBit, s.signal.length, s.signal.byteOrder, s.signal.isSigned)),
      );
      for (const compiled of compiledVariants) {
        const values = batchValues(compiled, data);
        for (const s of compiled.signals) {
          if (values[s.index] !== want[s.index]) {
            expect.fail(
              `${s.signal.byteOrder} start ${s.signal.startBit} length ${s.signal.length}: ` +
                `${values[s.index]} != ${want[s.index]}`,
            );
          }
        }
      }
    }
  });

  it('reads IEEE floats at any start bit', () => {
    const signals: Signal[] = [];
    for (const byteOrder of orders) {
      for (let start = 0; start < 40; start += 3) {
        signals.push(signal(`F32_${byteOrder}_${start}`, start, 32, byteOrder, true, 'float32'));
        signals.push(signal(`F64_${byteOrder}_${start}`, start, 64, byteOrder, true, 'float64'));
      }
    }
    const compiled = compileDatabase(database([message(1, signals)]));
    const view = new DataView(new ArrayBuffer(8));
    for (const data of datas.slice(0, 2)) {
      const values = batchValues(compiled, data);
      for (const s of compiled.signals) {
        const bits = naiveRaw(data, s.signal.startBit, s.signal.length, s.signal.byteOrder, false);
        let want: number;
        if (s.signal.valueType === 'float32') {
          view.setUint32(0, Number(bits));
          want = view.getFloat32(0);
        } else {
          view.setBigUint64(0, bits);
          want = view.getFloat64(0);
        }
        expect(
          Object.is(readRaw(s.plan, data, 0, true), want) || (Number.isNaN(want) && Number.isNaN(values[s.index]!)),
        ).toBe(true);
        expect(Object.is(values[s.index], want) || (Number.isNaN(want) && Number.isNaN(values[s.index]!))).toBe(true);
      }
    }
  });
});
