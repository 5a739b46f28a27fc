import { describe, expect, it } from 'vitest';
import { compileDatabase, decodeFrame, type Message } from '../core-api.js';
import { parseDbc } from '@telltale/dbc';
import { MessageEncoder, multiplexPages, signalSegments } from './encode.js';
import { Rng } from './rng.js';

function database(body: string) {
  return parseDbc(`VERSION ""\n\nNS_ :\n\nBS_:\n\nBU_: ECU\n\n${body}\n`).database;
}

function message(body: string): Message {
  return database(body).messages[0]!;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('encoder: hand-computed bytes', () => {
  it('writes Intel signals LSB first from their start bit', () => {
    const m = message(`BO_ 256 M: 8 ECU
 SG_ A : 8|16@1+ (1,0) [0|65535] "" ECU
 SG_ B : 28|8@1+ (1,0) [0|255] "" ECU
 SG_ C : 40|12@1- (0.5,-10) [-1000|1000] "" ECU`);
    const enc = new MessageEncoder(m);
    // A = 0x1234 → bytes 1..2 = 34 12; B = 0xAB at bits 28..35 → byte 3 high nibble B, byte 4 low nibble A;
    // C = (-20 - -10) / 0.5 = -20 → 12-bit two's complement 0xFEC at bits 40..51 → byte 5 = EC, byte 6 = 0F.
    expect(hex(enc.encodeNamed({ A: 0x1234, B: 0xab, C: -20 }))).toBe('003412b00aec0f00');
  });

  it('writes Motorola signals MSB first from their start bit, walking the sawtooth', () => {
    const m = message(`BO_ 256 M: 8 ECU
 SG_ A : 7|16@0+ (1,0) [0|65535] "" ECU
 SG_ B : 19|8@0+ (1,0) [0|255] "" ECU
 SG_ C : 35|12@0- (1,0) [-2048|2047] "" ECU`);
    const enc = new MessageEncoder(m);
    // A: bytes 0..1 = 12 34. B: MSB at bit 19 (byte 2 bit 3) → byte 2 low nibble = high nibble of B, byte 3 high
    // nibble = low nibble of B. C = -2 = 0xFFE: MSB at byte 4 bit 3 → byte 4 low nibble F, byte 5 = FE.
    expect(hex(enc.encodeNamed({ A: 0x1234, B: 0xcd, C: -2 }))).toBe('12340cd00ffe0000');
  });

  it('saturates out-of-range values instead of wrapping', () => {
    const m = message(`BO_ 256 M: 2 ECU
 SG_ U : 0|8@1+ (1,0) [0|255] "" ECU
 SG_ S : 8|8@1- (1,0) [-128|127] "" ECU`);
    const enc = new MessageEncoder(m);
    expect(hex(enc.encodeNamed({ U: 300, S: -500 }))).toBe('ff80');
    expect(hex(enc.encodeNamed({ U: -3, S: 999 }))).toBe('007f');
  });

  it('splits a signal into one segment per byte', () => {
    expect(Array.from(signalSegments({ startBit: 4, length: 12, byteOrder: 'little_endian' }))).toEqual([
      0, 4, 15, 0, 0, 1, 0, 255, 0, 4,
    ]);
    // Motorola MSB at bit 3 of byte 0, 12 bits: low 8 bits in byte 1, high 4 in byte 0 bits 0..3.
    expect(Array.from(signalSegments({ startBit: 3, length: 12, byteOrder: 'big_endian' }))).toEqual([
      1, 0, 255, 0, 0, 0, 0, 15, 0, 8,
    ]);
  });

  it('lists the pages of nested multiplexers', () => {
    const m = message(`BO_ 256 M: 8 ECU
 SG_ Top M : 0|4@1+ (1,0) [0|15] "" ECU
 SG_ Always : 56|8@1+ (1,0) [0|255] "" ECU
 SG_ A m0 : 8|8@1+ (1,0) [0|255] "" ECU
 SG_ Inner m1M : 8|4@1+ (1,0) [0|15] "" ECU
 SG_ B m2 : 16|8@1+ (1,0) [0|255] "" ECU
 SG_ C m3 : 16|8@1+ (1,0) [0|255] "" ECU

SG_MUL_VAL_ 256 A Top 0-0;
SG_MUL_VAL_ 256 B Inner 2-2;
SG_MUL_VAL_ 256 C Inner 3-3;
SG_MUL_VAL_ 256 Inner Top 1-1;`);
    const pages = multiplexPages(m).map(
      (p) =>
        [...p.switches.entries()].map(([i, v]) => `${m.signals[i]!.name}=${v}`).join(',') +
        ':' +
        Array.from(p.signals, (i) => m.signals[i]!.name).join(','),
    );
    expect(pages).toEqual([
      'Top=0:Top,Always,A',
      'Top=1,Inner=2:Top,Always,Inner,B',
      'Top=1,Inner=3:Top,Always,Inner,C',
    ]);
  });
});

// ---- round trip against the DBC decoder, on random layouts ----

interface RandomSignal {
  name: string;
  kind: 'int' | 'float32' | 'float64';
  length: number;
  signed: boolean;
  scale: number;
  offset: number;
}

interface RandomMessage {
  text: string;
  signals: RandomSignal[];
}

/** Places random non-overlapping signals in a frame and writes them as DBC text. */
function randomMessage(rng: Rng, id: number, withMux: boolean): RandomMessage {
  const length = rng.pick([1, 2, 4, 8, 8, 8, 12, 16, 24, 32, 48, 64]);
  // Per bit: 'all' when an always-present signal holds it, else the set of multiplexer pages that use it.
  const used: ('all' | Set<number> | undefined)[] = Array.from({ length: length * 8 }, () => undefined);
  const place = (bits: number, order: 'little_endian' | 'big_endian', page: number | undefined): number | undefined => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const start = rng.int(length * 8);
      const segments = signalSegments({ startBit: start, length: bits, byteOrder: order });
      const positions: number[] = [];
      for (let k = 0; k < segments.length; k += 5) {
        for (let b = 0; b < 8; b++)
          if ((segments[k + 2]! << segments[k + 1]!) & (1 << b)) positions.push(segments[k]! * 8 + b);
      }
      const free = positions.every((p) => {
        const owner = used[p];
        if (p >= length * 8 || owner === 'all') return false;
        return owner === undefined || (page !== undefined && !owner.has(page));
      });
      if (!free) continue;
      for (const p of positions) {
        if (page === undefined) used[p] = 'all';
        else ((used[p] as Set<number> | undefined) ?? (used[p] = new Set())).add(page);
      }
      return start;
    }
    return undefined;
  };
  const lines: string[] = [];
  const valTypes: string[] = [];
  const signals: RandomSignal[] = [];
  let mux = false;
  if (withMux && length >= 2) {
    const start = place(8, 'little_endian', undefined);
    if (start !== undefined) {
      lines.push(` SG_ Mux M : ${start}|8@1+ (1,0) [0|255] "" ECU`);
      mux = true;
    }
  }
  const count = 1 + rng.int(Math.max(1, length));
  for (let i = 0; i < count; i++) {
    const kindRoll = rng.next();
    const kind: RandomSignal['kind'] = kindRoll < 0.08 ? 'float32' : kindRoll < 0.12 ? 'float64' : 'int';
    const bits = kind === 'float32' ? 32 : kind === 'float64' ? 64 : 1 + rng.int(rng.next() < 0.2 ? 64 : 32);
    const order = rng.next() < 0.5 ? 'little_endian' : 'big_endian';
    const page = mux && rng.next() < 0.5 ? rng.int(3) : undefined;
    const start = place(bits, order, page);
    if (start === undefined) continue;
    const signed = kind === 'int' && bits > 1 && rng.next() < 0.5;
    const scale = kind === 'int' ? rng.pick([1, 1, 0.1, 0.5, 0.01, 2, 0.0001, 0.25]) : rng.pick([1, 0.5]);
    const offset = rng.pick([0, 0, -40, 100, -0.5]);
    const name = `S${i}`;
    const muxTag = page === undefined ? '' : `m${page} `;
    lines.push(
      ` SG_ ${name} ${muxTag}: ${start}|${bits}@${order === 'little_endian' ? 1 : 0}${signed ? '-' : '+'}` +
        ` (${scale},${offset}) [0|0] "" ECU`,
    );
    if (kind !== 'int') valTypes.push(`SIG_VALTYPE_ ${id} ${name} : ${kind === 'float32' ? 1 : 2};`);
    signals.push({ name, kind, length: bits, signed, scale, offset });
  }
  return { text: `BO_ ${id} M${id}: ${length} ECU\n${lines.join('\n')}\n\n${valTypes.join('\n')}\n`, signals };
}

function randomValue(rng: Rng, s: RandomSignal): number {
  if (s.kind === 'float32') return Math.fround(rng.range(-1e6, 1e6)) * s.scale + s.offset;
  if (s.kind === 'float64') return rng.range(-1e12, 1e12) * s.scale + s.offset;
  const bits = Math.min(s.length, 53);
  const low = s.signed ? -(2 ** (bits - 1)) : 0;
  const high = s.signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const raw = Math.round(low + (high - low) * rng.next());
  return raw * s.scale + s.offset;
}

describe('encoder: round trip through decodeFrame', () => {
  it('decodes what it encodes: 300 random messages (Intel/Motorola, any start bit, signed, float, mux)', () => {
    const rng = new Rng(20261121);
    let checkedSignals = 0;
    for (let n = 0; n < 300; n++) {
      const generated = randomMessage(rng, 100 + n, rng.next() < 0.3);
      const db = database(generated.text);
      const compiled = compileDatabase(db);
      const m = db.messages[0]!;
      const enc = new MessageEncoder(m);
      for (let page = 0; page < enc.pages.length; page++) {
        const values = new Float64Array(m.signals.length);
        const expected = new Map<string, number>();
        m.signals.forEach((signal, i) => {
          const spec = generated.signals.find((s) => s.name === signal.name);
          if (!spec) return;
          values[i] = randomValue(rng, spec);
          expected.set(signal.name, values[i]);
        });
        const data = new Uint8Array(m.length);
        enc.encode(values, page, data, 0);
        const decoded = decodeFrame(compiled, { id: m.frameId, extended: m.isExtended, data });
        expect(decoded.ok, JSON.stringify(decoded)).toBe(true);
        if (!decoded.ok) continue;
        const present = new Set(Array.from(enc.pages[page]!.signals, (i) => m.signals[i]!.name));
        for (const [name, value] of expected) {
          if (!present.has(name)) {
            expect(decoded.signals[name], name).toBeUndefined();
            continue;
          }
          const spec = generated.signals.find((s) => s.name === name)!;
          const got = decoded.signals[name] as number;
          if (spec.kind === 'int' && spec.length > 53) {
            // Beyond 53 bits a double is not exact; the decoder rounds the raw value once.
            expect(Math.abs(got - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-12 + Math.abs(spec.scale));
          } else if (spec.kind === 'int') {
            expect(
              Math.abs(got - value),
              `${name} ${m.signals.find((s) => s.name === name)!.startBit}`,
            ).toBeLessThanOrEqual(Math.abs(spec.scale) * 1e-6 + Math.abs(value) * 1e-12);
          } else {
            expect(Math.abs(got - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-6);
          }
          checkedSignals++;
        }
        for (const [i, raw] of enc.pages[page]!.switches) expect(decoded.signals[m.signals[i]!.name]).toBe(raw);
      }
    }
    expect(checkedSignals).toBeGreaterThan(500);
  });
});
