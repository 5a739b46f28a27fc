import { describe, expect, it } from 'vitest';
import { compileDatabase } from '@telltale/dbc';
import { decodeFrame } from '@telltale/dbc';
import { parseDbc } from '@telltale/dbc';
import { encodeMessage } from './encode.js';

const DBC = `VERSION ""
NS_ :
BS_:
BU_: ECU
BO_ 100 Mixed: 8 ECU
 SG_ IntelSigned : 0|12@1- (0.5,-10) [-1034|1013.5] "A" Vector__XXX
 SG_ MotorolaWord : 23|16@0+ (0.01,0) [0|655.35] "V" Vector__XXX
 SG_ MotorolaOdd : 37|11@0- (1,0) [-1024|1023] "" Vector__XXX
 SG_ Flag : 12|1@1+ (1,0) [0|1] "" Vector__XXX
BO_ 101 Paged: 8 ECU
 SG_ Page M : 0|4@1+ (1,0) [0|15] "" Vector__XXX
 SG_ Sub m2M : 4|4@1+ (1,0) [0|15] "" Vector__XXX
 SG_ P0 m0 : 8|16@1+ (1,0) [0|65535] "" Vector__XXX
 SG_ P1 m1 : 8|16@1- (1,0) [-32768|32767] "" Vector__XXX
 SG_ Deep m0 : 8|8@1+ (1,0) [0|255] "" Vector__XXX
BO_ 2364539904 Wide: 8 ECU
 SG_ Big : 0|64@1+ (1,0) [0|0] "" Vector__XXX
BO_ 103 Floaty: 8 ECU
 SG_ F32 : 7|32@0- (1,0) [0|0] "" Vector__XXX
SIG_VALTYPE_ 103 F32 : 1;
SG_MUL_VAL_ 101 Sub Page 2-2;
SG_MUL_VAL_ 101 P0 Page 0-0;
SG_MUL_VAL_ 101 P1 Page 1-1;
SG_MUL_VAL_ 101 Deep Sub 3-5;
`;

const compiled = compileDatabase(parseDbc(DBC).database);
const message = (name: string) => compiled.database.messages.find((m) => m.name === name)!;
const decode = (name: string, data: Uint8Array) => {
  const m = message(name);
  const result = decodeFrame(compiled, { id: m.frameId, extended: m.isExtended, data });
  if (!result.ok) throw new Error(result.error);
  return result.signals;
};

describe('encodeMessage', () => {
  it('round-trips Intel, Motorola, signed and unsigned signals through the decoder', () => {
    const values = { IntelSigned: -37.5, MotorolaWord: 401.23, MotorolaOdd: -777, Flag: 1 };
    const data = encodeMessage(message('Mixed'), values);
    expect(decode('Mixed', data)).toEqual(values);
  });

  it('writes Motorola bits where the DBC sawtooth puts them', () => {
    // MotorolaWord starts at bit 23 (MSB of byte 2) and ends in byte 3: 0x1234 → bytes 2..3 = 12 34.
    const data = encodeMessage(message('Mixed'), { MotorolaWord: 0x1234 * 0.01 });
    expect([...data.subarray(2, 4)]).toEqual([0x12, 0x34]);
  });

  it('writes only the selected page, through a nested switch', () => {
    expect(decode('Paged', encodeMessage(message('Paged'), { Page: 1, P1: -2 }))).toEqual({ Page: 1, P1: -2 });
    expect(decode('Paged', encodeMessage(message('Paged'), { Page: 2, Sub: 4, Deep: 200 }))).toEqual({
      Page: 2,
      Sub: 4,
      Deep: 200,
    });
    expect(() => encodeMessage(message('Paged'), { Page: 1, P0: 3 })).toThrow(/P0 is not on the page Page = 1 selects/);
    expect(() => encodeMessage(message('Paged'), { Page: 2, Sub: 1, Deep: 1 })).toThrow(
      /Deep is not on the page Sub = 1/,
    );
  });

  it('handles 64-bit integers on extended frames and IEEE floats', () => {
    const wide = encodeMessage(message('Wide'), { Big: 2 ** 60 });
    expect(wide[7]).toBe(0x10);
    expect(decode('Wide', wide)).toEqual({ Big: 2 ** 60 });
    expect(decode('Floaty', encodeMessage(message('Floaty'), { F32: 1.5 }))).toEqual({ F32: 1.5 });
  });

  it('rejects values that do not fit unless asked to clamp, and unknown signal names', () => {
    expect(() => encodeMessage(message('Mixed'), { MotorolaOdd: 5000 })).toThrow(RangeError);
    expect(decode('Mixed', encodeMessage(message('Mixed'), { MotorolaOdd: 5000 }, { clamp: true })).MotorolaOdd).toBe(
      1023,
    );
    expect(() => encodeMessage(message('Mixed'), { Nope: 1 })).toThrow(/Mixed has no signal Nope/);
  });
});
