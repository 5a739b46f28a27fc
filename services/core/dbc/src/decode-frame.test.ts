import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileDatabase, type CompiledDatabase } from './compile.js';
import {
  decodeFrame,
  formatDecodeLine,
  type DecodedFrame,
  type FrameDecodeFailure,
  type FrameDecodeResult,
} from './decode-frame.js';
import { hexToBytes, parseFrameLine } from './frame-json.js';
import { parseDbc } from './parse.js';

const load = (name: string, strict = true): CompiledDatabase =>
  compileDatabase(parseDbc(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)), { strict }).database);

function decoded(result: FrameDecodeResult): DecodedFrame {
  if (!result.ok) throw new Error(`expected a decode, got ${result.errorKind}: ${result.error}`);
  return result;
}

function failed(result: FrameDecodeResult): FrameDecodeFailure {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.signals)}`);
  return result;
}

const frame = (id: number, hex: string, extended = false) => ({ id, extended, data: hexToBytes(hex) });

describe('decodeFrame: bit layouts', () => {
  const odd = load('motorola-odd.dbc');

  it('decodes Motorola signals at odd start bits and Intel signals across bytes (values worked out by hand)', () => {
    // M3_10: byte 0 bits 3..0 = 0001, byte 1 bits 7..2 = 001000 → 0b0001001000 = 72.
    // M13_12s: byte 1 bits 5..0 = 100011, byte 2 bits 7..2 = 010001 → 0b100011010001 = 2257 → signed -1839.
    // I37_9: byte 4 bits 5..7 = 100 (4), byte 5 bits 0..5 = 101011 (43) → 4 + 43·8 = 348.
    expect(decoded(decodeFrame(odd, frame(256, '0123456789abcdef'))).signals).toEqual({
      M3_10: 72,
      M13_12s: -1839,
      I37_9: 348,
    });
    expect(decoded(decodeFrame(odd, frame(256, '0123456789abcdef'), { raw: true })).signals).toEqual({
      M3_10: '72',
      M13_12s: '-1839',
      I37_9: '348',
    });
  });

  const wide = load('wide-float.dbc');

  it('decodes signed and unsigned 64-bit integers exactly in raw mode', () => {
    const allOnes = decoded(decodeFrame(wide, frame(512, 'ff'.repeat(16)), { raw: true }));
    expect(allOnes.signals).toEqual({ S64: '-1', U64m: '18446744073709551615' });
    const minimum = decoded(decodeFrame(wide, frame(512, `${'00'.repeat(7)}80${'00'.repeat(8)}`), { raw: true }));
    expect(minimum.signals.S64).toBe('-9223372036854775808');
    // Physical values are doubles: 2^64 − 1 rounds to 2^64, as float() does in Python.
    expect(decoded(decodeFrame(wide, frame(512, 'ff'.repeat(16)))).signals).toEqual({
      S64: -1,
      U64m: 18446744073709551616,
    });
  });

  it('decodes float32 (Intel) and float64 (Motorola at start bit 39) with scale and offset', () => {
    // 1.5f = 0x3FC00000 little-endian; -2.25 = 0xC002000000000000 big-endian in bytes 4..11.
    const data = `0000c03f${'c002000000000000'}`;
    expect(decoded(decodeFrame(wide, frame(513, data))).signals).toEqual({ F32: 1.5, F64: -3.5 });
    expect(decoded(decodeFrame(wide, frame(513, data), { raw: true })).signals).toEqual({ F32: 1.5, F64: -2.25 });
  });

  it('reports NaN and infinities as null with their kind', () => {
    const result = decoded(decodeFrame(wide, frame(513, `0000c07f${'7ff0000000000000'}`)));
    expect(result.signals).toEqual({ F32: null, F64: null });
    expect(result.nonfinite).toEqual({ F32: 'NaN', F64: 'Infinity' });
    expect(formatDecodeLine(result)).toBe(
      '{"id":513,"extended":false,"message":"Floats","signals":{"F32":null,"F64":null},"choices":{},' +
        '"nonfinite":{"F32":"NaN","F64":"Infinity"}}',
    );
  });
});

describe('decodeFrame: multiplexing', () => {
  const mux = load('multiplexing.dbc');
  // Nested (768): byte 0 Mode (scale 2, offset 1), byte 1 Page, bytes 2-3 PageA/PageB, byte 3 Ranged, byte 7 Always.
  const nested = (mode: number, page: number) =>
    decodeFrame(
      mux,
      frame(768, `${[mode, page, 0x22, 0x11, 0, 0, 0, 0x77].map((b) => b.toString(16).padStart(2, '0')).join('')}`),
    );

  it('follows nested multiplexers (Mode → Page → PageA/PageB)', () => {
    expect(decoded(nested(1, 10)).signals).toEqual({ Mode: 3, Always: 0x77, Page: 10, PageA: 0x22 * 0.5 });
    expect(decoded(nested(1, 25)).signals).toEqual({ Mode: 3, Always: 0x77, Page: 25, PageB: 0x1122 });
  });

  it('selects the branch by the raw multiplexer value, not the scaled one', () => {
    // Raw 3 (physical 7) is in Ranged's range 3-5; raw 7 would be the labelled empty branch.
    expect(decoded(nested(3, 0)).signals).toEqual({ Mode: 7, Always: 0x77, Ranged: 0x11 });
  });

  it('honours SG_MUL_VAL_ ranges', () => {
    for (const mode of [3, 4, 5, 8]) expect(decoded(nested(mode, 0)).signals).toHaveProperty('Ranged', 0x11);
  });

  it('treats a labelled multiplexer value with no signals as an empty branch', () => {
    const result = decoded(nested(7, 0));
    expect(result.signals).toEqual({ Mode: 15, Always: 0x77 });
    expect(result.choices).toEqual({ Mode: 'Idle' });
  });

  it('fails a frame whose multiplexer value selects nothing (outer or inner)', () => {
    expect(failed(nested(6, 0))).toMatchObject({
      errorKind: 'decode',
      error: 'expected multiplexer id 1, 3..5, 7 or 8, but got 6',
    });
    expect(failed(nested(1, 11))).toMatchObject({
      errorKind: 'decode',
      error: 'expected multiplexer id 10 or 20..29, but got 11',
    });
  });

  it('decodes simple multiplexing', () => {
    expect(decoded(decodeFrame(mux, frame(769, '00ff'))).signals).toEqual({ Sel: 0, A: 255 });
    expect(decoded(decodeFrame(mux, frame(769, '01ff'))).signals).toEqual({ Sel: 1, B: -1 });
    expect(failed(decodeFrame(mux, frame(769, '02ff'))).errorKind).toBe('decode');
  });

  it('decodes independent multiplexers, each on its own value', () => {
    expect(decoded(decodeFrame(mux, frame(770, '01020304'))).signals).toEqual({ SwA: 1, SwB: 2, OnA1: 3, OnB2: 4 });
    expect(failed(decodeFrame(mux, frame(770, '01030304'))).errorKind).toBe('decode');
  });
});

describe('decodeFrame: lookup and frame checks', () => {
  const ids = load('extended-ids.dbc');

  it('looks messages up by (id, extended)', () => {
    expect(decoded(decodeFrame(ids, frame(0x0cfe6cee, '01'.repeat(8), true))).message).toBe('WithBit31');
    expect(decoded(decodeFrame(ids, frame(0x18fef100, '01'.repeat(8), true))).message).toBe('WithoutBit31');
    expect(decoded(decodeFrame(ids, frame(0x7ff, '01'))).message).toBe('Standard');
    expect(decoded(decodeFrame(ids, frame(0x101, '01', true))).message).toBe('ExtendedLowId');
    expect(failed(decodeFrame(ids, frame(0x7ff, '01', true)))).toMatchObject({
      errorKind: 'unknown_id',
      error: 'no message with extended id 0x7ff',
    });
    expect(failed(decodeFrame(ids, frame(0x101, '01')))).toMatchObject({
      errorKind: 'unknown_id',
      error: 'no message with standard id 0x101',
    });
    expect(failed(decodeFrame(ids, frame(0x18fef100, '01'.repeat(8))))).toMatchObject({
      errorKind: 'unknown_id',
      error: 'standard frame id 0x18fef100 exceeds 11 bits',
    });
  });

  it('fails a short frame and decodes a longer one from its first bytes', () => {
    expect(failed(decodeFrame(ids, frame(0x18fef100, '01'.repeat(7), true)))).toMatchObject({
      errorKind: 'decode',
      error: 'Wrong data size: 7 instead of 8 bytes',
    });
    expect(decoded(decodeFrame(ids, frame(0x7ff, '2a0000'))).signals).toEqual({ C: 42 });
  });

  it('returns bad_input for things that are not frames', () => {
    expect(failed(decodeFrame(ids, frame(0x7ff, '00'.repeat(65)))).errorKind).toBe('bad_input');
    expect(failed(decodeFrame(ids, { id: -1, extended: false, data: new Uint8Array(1) })).errorKind).toBe('bad_input');
    expect(failed(decodeFrame(ids, { id: 1.5, extended: false, data: new Uint8Array(1) })).errorKind).toBe('bad_input');
  });

  it('prints a signal that reaches past its message (accepted with strict: false) as null', () => {
    const compiled = compileDatabase(
      parseDbc('BO_ 1 M: 1 ECU\n SG_ In : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ Out : 8|1@1+ (1,0) [0|0] "" ECU\n', {
        strict: false,
      }).database,
    );
    expect(decoded(decodeFrame(compiled, frame(1, 'ff00'))).signals).toEqual({ In: 255, Out: null });
  });
});

describe('parseFrameLine', () => {
  it('reads a conformance frame line', () => {
    expect(parseFrameLine('{"id": 1558, "extended": false, "data": "0A1b"}')).toEqual({
      ok: true,
      frame: { id: 1558, extended: false, data: new Uint8Array([0x0a, 0x1b]) },
    });
  });

  it('rejects lines that are not frames, keeping what it can for the error line', () => {
    const notJson = parseFrameLine('nope');
    expect(notJson.ok).toBe(false);
    expect(notJson.ok ? '' : notJson.error).toMatch(/^not JSON/);
    expect(parseFrameLine('[1]')).toMatchObject({ ok: false });
    expect(parseFrameLine('{"id": 1, "extended": "no", "data": ""}')).toMatchObject({ ok: false, id: 1 });
    expect(parseFrameLine('{"id": 1, "extended": false, "data": "abc"}')).toMatchObject({
      ok: false,
      id: 1,
      extended: false,
    });
    expect(parseFrameLine('{"id": 536870912, "extended": true, "data": ""}')).toMatchObject({ ok: false });
    expect(parseFrameLine(`{"id": 1, "extended": false, "data": "${'00'.repeat(65)}"}`)).toMatchObject({ ok: false });
  });
});
