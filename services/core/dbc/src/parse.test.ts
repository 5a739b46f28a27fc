import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isDbcError, type DbcError } from './errors.js';
import { checkDbc, countDiagnostics, parseDbc } from './parse.js';
import { MAX_DIAGNOSTICS_PER_KIND } from './diagnostics.js';
import { MAX_MULTIPLEXER_DEPTH } from './assembly/multiplexing.js';
import type { DbcDiagnostic } from './model.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** A minimal file around some statements. */
const dbc = (body: string): string => `VERSION ""\n\nNS_ :\n\nBS_:\n\nBU_: ECU GW\n\n${body}\n`;

function parseError(input: string | Uint8Array, options = {}): DbcError {
  try {
    parseDbc(input, { fileName: 'test.dbc', ...options });
  } catch (error) {
    if (isDbcError(error)) return error;
    throw error;
  }
  throw new Error('expected parseDbc to throw');
}

const codes = (diagnostics: readonly DbcDiagnostic[]): string[] => diagnostics.map((d) => d.code);

describe('parseDbc: messages and signals', () => {
  it('reads messages, signals, nodes, senders and receivers', () => {
    const { database, diagnostics } = parseDbc(
      dbc(`BO_ 100 Engine: 8 ECU
 SG_ Rpm : 0|16@1+ (0.25,0) [0|16383.75] "rpm" GW,ECU
 SG_ Temp : 23|8@0- (1,-40) [-168|87] "degC" Vector__XXX

BO_TX_BU_ 100 : ECU,GW;`),
      { fileName: 'engine.dbc' },
    );
    expect(diagnostics).toEqual([]);
    expect(database.nodes.map((n) => n.name)).toEqual(['ECU', 'GW']);
    const [message] = database.messages;
    expect(message).toMatchObject({
      frameId: 100,
      isExtended: false,
      isFd: false,
      name: 'Engine',
      length: 8,
      senders: ['ECU', 'GW'],
      line: 9,
    });
    expect(message?.signals[0]).toMatchObject({
      name: 'Rpm',
      startBit: 0,
      length: 16,
      byteOrder: 'little_endian',
      isSigned: false,
      valueType: 'integer',
      scale: 0.25,
      offset: 0,
      minimum: 0,
      maximum: 16383.75,
      unit: 'rpm',
      receivers: ['GW', 'ECU'],
      line: 10,
    });
    expect(message?.signals[1]).toMatchObject({ byteOrder: 'big_endian', isSigned: true, offset: -40, receivers: [] });
  });

  it('accepts CRLF, tabs, odd spacing and every number notation (1E+002, +5, .5, 10.)', () => {
    const text = dbc(
      `BO_ 100 Odd :\t8\tECU\n SG_ A:0|8@1+(1E+002,+5)[.5|10.]""ECU\n` +
        ` SG_   B  m3 :8|8@1- ( 10. , -1E2 ) [ 0 | 0 ] "%" ECU`,
    ).replace(/\n/g, '\r\n');
    const { database } = parseDbc(text);
    const [a, b] = database.messages[0]!.signals;
    expect(a).toMatchObject({ scale: 100, offset: 5, minimum: 0.5, maximum: 10 });
    // [0|0] means "no range" (cantools' reading).
    expect(b).toMatchObject({ scale: 10, offset: -100, minimum: undefined, maximum: undefined, unit: '%' });
  });

  it('reads a message without a sender', () => {
    const { database } = parseDbc(dbc('BO_ 1 NoSender: 1\n SG_ S : 0|8@1+ (1,0) [0|0] "" ECU'));
    expect(database.messages[0]).toMatchObject({ name: 'NoSender', senders: [] });
  });

  it('treats a 29-bit id written without bit 31 as extended, as opendbc writes them', () => {
    const { database } = parseDbc(fixture('extended-ids.dbc'));
    expect(database.messages.map((m) => [m.name, m.frameId, m.isExtended])).toEqual([
      ['WithBit31', 0x0cfe6cee, true],
      ['WithoutBit31', 0x18fef100, true],
      ['Standard', 0x7ff, false],
      ['ExtendedLowId', 0x101, true],
    ]);
  });

  it('skips the VECTOR__INDEPENDENT_SIG_MSG pseudo-message and statements about it', () => {
    const { database, diagnostics } = parseDbc(
      dbc(`BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX
 SG_ Loose : 0|8@1+ (1,0) [0|0] "" Vector__XXX

CM_ SG_ 3221225472 Loose "not in any frame";`),
    );
    expect(database.messages).toEqual([]);
    expect(diagnostics).toEqual([]);
  });
});

describe('parseDbc: sections', () => {
  it('reads comments (multi-line, escaped quotes, global ones concatenated) for every object kind', () => {
    const { database } = parseDbc(
      dbc(`BO_ 100 M: 8 ECU
 SG_ S : 0|8@1+ (1,0) [0|0] "" ECU

EV_ Env: 0 [0|1] "" 0 1 DUMMY_NODE_VECTOR0 ECU;
CM_ "Network ";
CM_ "comment";
CM_ BU_ ECU "The \\"engine\\" ECU";
CM_ BO_ 100 "line one
line two; still the comment";
CM_ SG_ 100 S "backslash \\ stays";
CM_ EV_ Env "environment";`),
    );
    expect(database.comment).toBe('Network comment');
    expect(database.nodes[0]?.comment).toBe('The "engine" ECU');
    expect(database.messages[0]?.comment).toBe('line one\nline two; still the comment');
    expect(database.messages[0]?.signals[0]?.comment).toBe('backslash \\ stays');
    expect(database.environmentVariables?.[0]).toMatchObject({
      name: 'Env',
      comment: 'environment',
      accessNodes: ['ECU'],
    });
  });

  it('reads VAL_ (64-bit safe keys, normalised numbers), VAL_TABLE_ and ignores an empty VAL_', () => {
    const { database } = parseDbc(
      dbc(`BO_ 100 M: 8 ECU
 SG_ S : 0|64@1+ (1,0) [0|0] "" ECU
 SG_ T : 0|8@1- (1,0) [0|0] "" ECU

VAL_TABLE_ Gears 0 "P" 1 "R" ;
VAL_ 100 S 18446744073709551615 "All ones" +5 "Five" 007 "Seven" ;
VAL_ 100 T -1 "Minus one" ;
VAL_ 100 T ;`),
    );
    const [s, t] = database.messages[0]!.signals;
    expect([...s!.choices]).toEqual([
      ['18446744073709551615', 'All ones'],
      ['5', 'Five'],
      ['7', 'Seven'],
    ]);
    expect([...t!.choices]).toEqual([['-1', 'Minus one']]);
    expect([...database.valueTables!.get('Gears')!]).toEqual([
      ['0', 'P'],
      ['1', 'R'],
    ]);
  });

  it('applies attributes: GenMsgCycleTime, VFrameFormat (CAN FD), BusType, GenSigStartValue, long names', () => {
    const { database } = parseDbc(
      dbc(`BO_ 100 M: 64 ECU
 SG_ S : 0|8@1+ (1,0) [0|0] "" ECU

BO_ 101 N: 8 ECU
 SG_ Short : 0|8@1+ (1,0) [0|0] "" ECU

BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","reserved","J1939PG","reserved","reserved",
  "reserved","reserved","reserved","reserved","reserved","reserved","reserved","reserved","StandardCAN_FD",
  "ExtendedCAN_FD";
BA_DEF_ "BusType" STRING ;
BA_DEF_ SG_ "GenSigStartValue" FLOAT 0 100;
BA_DEF_ SG_ "SystemSignalLongSymbol" STRING ;
BA_DEF_ BO_ "SystemMessageLongSymbol" STRING ;
BA_DEF_DEF_ "GenMsgCycleTime" 100;
BA_DEF_DEF_ "VFrameFormat" "StandardCAN";
BA_DEF_DEF_ "BusType" "CAN";
BA_DEF_DEF_ "GenSigStartValue" 0;
BA_ "BusType" "CAN FD";
BA_ "VFrameFormat" BO_ 100 14;
BA_ "GenMsgCycleTime" BO_ 101 0;
BA_ "GenSigStartValue" SG_ 100 S 42.5;
BA_ "SystemSignalLongSymbol" SG_ 101 Short "A_signal_name_longer_than_32_characters";
BA_ "SystemMessageLongSymbol" BO_ 101 "A_message_name_longer_than_32_characters";`),
    );
    const [m, n] = database.messages;
    expect(database.busType).toBe('CAN FD');
    expect(m).toMatchObject({ isFd: true, cycleTimeMs: 100, attributes: { VFrameFormat: 'StandardCAN_FD' } });
    expect(m?.signals[0]).toMatchObject({ initialRawValue: 42.5, attributes: { GenSigStartValue: 42.5 } });
    // An explicit cycle time of 0 means "not cyclic".
    expect(n).toMatchObject({ isFd: false, cycleTimeMs: undefined, name: 'A_message_name_longer_than_32_characters' });
    expect(n?.signals[0]?.name).toBe('A_signal_name_longer_than_32_characters');
    expect(database.attributeDefinitions?.find((d) => d.name === 'GenMsgCycleTime')).toMatchObject({
      valueType: 'INT',
      minimum: 0,
      maximum: 65535,
      defaultValue: 100,
    });
  });

  it('reads SIG_VALTYPE_, SIG_GROUP_, SGTYPE_ and relation attributes', () => {
    const { database, diagnostics } = parseDbc(
      dbc(`BO_ 100 M: 8 ECU
 SG_ F : 0|32@1- (1,0) [0|0] "" ECU
 SG_ D : 0|64@1- (1,0) [0|0] "" ECU

SGTYPE_ Speed : 16@1+ (0.1,0) [0|6553.5] "km/h" 0, SpeedTable;
BA_DEF_REL_ BU_SG_REL_ "Timeout" INT 0 1000;
BA_DEF_DEF_REL_ "Timeout" 0;
BA_REL_ "Timeout" BU_SG_REL_ ECU SG_ 100 F 200;
SIG_GROUP_ 100 Group 1 : F D;
SIG_VALTYPE_ 100 F : 1;
SIG_VALTYPE_ 100 D : 2;`),
    );
    expect(codes(diagnostics)).toEqual(['DBC_OVERLAPPING_SIGNALS']);
    expect(database.messages[0]?.signals.map((s) => s.valueType)).toEqual(['float32', 'float64']);
    expect(database.messages[0]?.signalGroups).toEqual([{ name: 'Group', repetitions: 1, signalNames: ['F', 'D'] }]);
    expect(database.signalTypes?.[0]).toMatchObject({
      name: 'Speed',
      length: 16,
      scale: 0.1,
      unit: 'km/h',
      valueTable: 'SpeedTable',
    });
    expect(database.attributeDefinitions?.find((d) => d.name === 'Timeout')?.objectType).toBe('node_signal');
  });

  it('skips sections the model does not use, with a warning each, and reads the rest', () => {
    const { database, diagnostics } = parseDbc(fixture('unknown-sections.dbc'));
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['DBC_UNSUPPORTED_SECTION', 14],
      ['DBC_UNSUPPORTED_SECTION', 15],
      ['DBC_UNSUPPORTED_SECTION', 16],
      ['DBC_UNSUPPORTED_SECTION', 17],
      ['DBC_UNSUPPORTED_SECTION', 18],
      ['DBC_UNSUPPORTED_SECTION', 19],
    ]);
    expect(diagnostics[0]?.message).toMatch(/SIG_TYPE_REF_/);
    expect(database.messages[0]?.signals[0]?.comment).toBe('Vehicle speed');
  });

  it('decodes cp1252 files (units, comments, labels)', () => {
    const { database } = parseDbc(fixture('cp1252.dbc'));
    expect(database.encoding).toBe('cp1252');
    const [coolant, price] = database.messages[0]!.signals;
    expect(coolant).toMatchObject({ unit: '°C', comment: 'Kühlmittel-Temperatur' });
    expect(coolant?.choices.get('255')).toBe('Ungültig');
    expect(price?.unit).toBe('€');
  });

  it('reads a VAL_ and a CM_ left without their semicolon at the end of a line, with a warning each', () => {
    const text = dbc(`BO_ 100 M: 8 ECU
 SG_ S : 0|8@1+ (1,0) [0|0] "" ECU

VAL_ 100 S 1 "On" 0 "Off"
CM_ SG_ 100 S "no semicolon either"
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;`);
    const { database, diagnostics } = parseDbc(text);
    expect(diagnostics).toMatchObject([
      { severity: 'warning', code: 'DBC_MISSING_SEMICOLON', line: 12, column: 1 },
      { severity: 'warning', code: 'DBC_MISSING_SEMICOLON', line: 13, column: 1 },
    ]);
    expect(diagnostics[0]?.message).toBe("VAL_ statement is not ended by ';'; read as if it were.");
    const signal = database.messages[0]?.signals[0];
    expect([...(signal?.choices ?? [])]).toEqual([
      ['1', 'On'],
      ['0', 'Off'],
    ]);
    expect(signal?.comment).toBe('no semicolon either');
    expect(database.attributeDefinitions?.map((d) => d.name)).toEqual(['GenMsgCycleTime']);
  });

  it("drops such statements with missingSemicolons: 'drop' (cantools' reading), with the same warnings", () => {
    const { database, diagnostics } = parseDbc(
      dbc(`BO_ 100 M: 8 ECU
 SG_ S : 0|8@1+ (1,0) [0|0] "" ECU

VAL_ 100 S 1 "On" 0 "Off"
CM_ SG_ 100 S "still read";`),
      { missingSemicolons: 'drop' },
    );
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 'DBC_MISSING_SEMICOLON', line: 12, column: 1 }]);
    expect(database.messages[0]?.signals[0]?.choices.size).toBe(0);
    expect(database.messages[0]?.signals[0]?.comment).toBe('still read');
  });

  it('still rejects a statement followed by anything but a new section', () => {
    const text = dbc('BO_ 100 M: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|0] "" ECU\n\nVAL_ 100 S 1 "On" junk;');
    expect(parseError(text).message).toMatch(/^test\.dbc:12:19: Expected ';' to end the VAL_ statement/);
  });

  it('ignores a malformed comment with a warning (opendbc carries some)', () => {
    const { diagnostics } = parseDbc(
      dbc('BO_ 100 M: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|0] "" ECU\n\nCM_ SG_ 100 "no signal name";'),
    );
    expect(diagnostics).toMatchObject([{ code: 'DBC_BAD_COMMENT', line: 12, column: 13 }]);
  });

  it('warns about references to unknown messages and signals', () => {
    const { diagnostics } = parseDbc(
      dbc('BO_ 100 M: 8 ECU\n SG_ S : 0|8@1+ (1,0) [0|0] "" ECU\n\nVAL_ 100 Nope 1 "x" ;\nCM_ BO_ 999 "who";'),
    );
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['DBC_UNKNOWN_REFERENCE', 12],
      ['DBC_UNKNOWN_REFERENCE', 13],
    ]);
  });
});

describe('parseDbc: layout rules', () => {
  it('warns about overlapping signals but not about signals in different multiplexer branches', () => {
    const { diagnostics } = parseDbc(fixture('overlap.dbc'));
    expect(diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'DBC_OVERLAPPING_SIGNALS', line: 11, column: 16 }),
    ]);
    expect(diagnostics[0]?.message).toBe(
      'Signal LowByte of message Overlapping overlaps signal Whole; each decodes on its own.',
    );
  });

  it('bounds the diagnostics of 4,000 mutually overlapping signals: one warning per signal, capped per code', () => {
    const signals = Array.from({ length: 4000 }, (_, i) => ` SG_ S${i} : 0|64@1+ (1,0) [0|0] "" ECU`).join('\n');
    const started = performance.now();
    const { diagnostics } = checkDbc(dbc(`BO_ 100 Wide: 8 ECU\n${signals}`));
    const elapsedMs = performance.now() - started;
    // The old pairwise check produced 7,998,000 warnings here and needed gigabytes.
    expect(diagnostics).toHaveLength(MAX_DIAGNOSTICS_PER_KIND + 1);
    expect(diagnostics[0]?.message).toBe('Signal S1 of message Wide overlaps signal S0; each decodes on its own.');
    expect(diagnostics[MAX_DIAGNOSTICS_PER_KIND - 1]?.message).toMatch(
      /^Signal S100 of message Wide overlaps signal S0;/,
    );
    expect(diagnostics[MAX_DIAGNOSTICS_PER_KIND]).toMatchObject({
      severity: 'warning',
      code: 'DBC_OVERLAPPING_SIGNALS',
      omitted: 3999 - MAX_DIAGNOSTICS_PER_KIND,
      line: 10 + MAX_DIAGNOSTICS_PER_KIND + 1,
    });
    expect(countDiagnostics(diagnostics, 'warning')).toBe(3999);
    // Generous: a behaviour bound (seconds, not minutes), not a benchmark; it takes milliseconds.
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('reports overlaps within a multiplexer branch and with plain signals, not across branches', () => {
    const { diagnostics } = checkDbc(
      dbc(`BO_ 100 Mux: 8 ECU
 SG_ Sw M : 0|8@1+ (1,0) [0|0] "" ECU
 SG_ A m1 : 8|16@1+ (1,0) [0|0] "" ECU
 SG_ B m2 : 8|16@1+ (1,0) [0|0] "" ECU
 SG_ C m1 : 16|8@1+ (1,0) [0|0] "" ECU
 SG_ Plain : 20|4@1+ (1,0) [0|0] "" ECU`),
    );
    expect(diagnostics.map((d) => d.message)).toEqual([
      'Signal C of message Mux overlaps signal A; each decodes on its own.',
      'Signal Plain of message Mux overlaps signal A; each decodes on its own.',
    ]);
  });

  it('counts errors past the cap in the load error', () => {
    const messages = Array.from({ length: 150 }, (_, i) => `BO_ ${i + 1} M${i}: 65 ECU`).join('\n');
    const error = parseError(dbc(messages));
    expect(error.message).toMatch(/exceeds the CAN FD maximum of 64\. \(and 149 more errors\)$/);
    const diagnostics = error.details.diagnostics as DbcDiagnostic[];
    expect(diagnostics).toHaveLength(MAX_DIAGNOSTICS_PER_KIND + 1);
    expect(diagnostics.at(-1)).toMatchObject({ severity: 'error', code: 'DBC_MESSAGE_LENGTH', omitted: 50 });
  });

  it('rejects multiplexers nested deeper than the limit', () => {
    const depth = MAX_MULTIPLEXER_DEPTH + 2;
    const chain = Array.from({ length: depth }, (_, i) =>
      i === 0 ? ' SG_ S0 M : 0|1@1+ (1,0) [0|0] "" ECU' : ` SG_ S${i} m1M : ${i}|1@1+ (1,0) [0|0] "" ECU`,
    );
    const values = Array.from({ length: depth - 1 }, (_, i) => `SG_MUL_VAL_ 100 S${i + 1} S${i} 1-1;`);
    const error = parseError(dbc(`BO_ 100 Deep: 8 ECU\n${chain.join('\n')}\n\n${values.join('\n')}`));
    expect(error.message).toMatch(/Signal S17 of message Deep hangs 17 switches deep, past the limit of 16\.$/);
  });

  it('rejects a signal reaching past the message length, and accepts it with a warning when not strict', () => {
    const text = dbc('BO_ 1 Message1: 1 ECU\n SG_ Signal1 : 8|1@1+ (1,0) [0|1] "" ECU');
    const error = parseError(text);
    expect(error.code).toBe('DBC_INVALID');
    expect(error.message).toBe(
      'test.dbc:10:16: Signal Signal1 of message Message1: bits reach byte 1 but the message is 1 bytes long.',
    );
    const { diagnostics } = parseDbc(text, { strict: false });
    expect(diagnostics).toMatchObject([{ severity: 'warning', code: 'DBC_SIGNAL_OUT_OF_RANGE' }]);
  });

  it('checks Motorola signals by their sawtooth layout', () => {
    // MSB at bit 7 of byte 0, 16 bits: bytes 0 and 1, fits 2 bytes. MSB at bit 0 of byte 0, 9 bits: needs byte 1.
    expect(() => parseDbc(dbc('BO_ 1 M: 2 ECU\n SG_ A : 7|16@0+ (1,0) [0|0] "" ECU'))).not.toThrow();
    expect(parseError(dbc('BO_ 1 M: 1 ECU\n SG_ A : 0|9@0+ (1,0) [0|0] "" ECU')).message).toMatch(/bits reach byte 1/);
  });

  it('rejects signal lengths of 0 or more than 64 bits, and float lengths that do not match', () => {
    expect(parseError(dbc('BO_ 1 M: 8 ECU\n SG_ A : 0|0@1+ (1,0) [0|0] "" ECU')).message).toMatch(
      /test.dbc:10:10: .*length 0 bits is outside 1\.\.64/,
    );
    expect(parseError(dbc('BO_ 1 M: 64 ECU\n SG_ A : 0|65@1+ (1,0) [0|0] "" ECU')).message).toMatch(/length 65 bits/);
    expect(
      parseError(dbc('BO_ 1 M: 8 ECU\n SG_ A : 0|16@1+ (1,0) [0|0] "" ECU\n\nSIG_VALTYPE_ 1 A : 1;')).message,
    ).toMatch(/float32 signal must be 32 bits, not 16/);
  });

  it('rejects message lengths above 64 bytes and ids beyond 29 bits', () => {
    expect(parseError(dbc('BO_ 1 M: 65 ECU')).message).toMatch(/test.dbc:9:10: .*65 bytes exceeds/);
    expect(parseError(dbc('BO_ 4294967295 M: 8 ECU')).message).toMatch(/not a valid 11-bit or 29-bit CAN id/);
  });
});

describe('parseDbc: broken files', () => {
  it('names the file, line and column of a syntax error, and keeps all diagnostics in the error details', () => {
    const error = parseError(fixture('broken.dbc'), { fileName: 'broken.dbc' });
    expect(error.code).toBe('DBC_INVALID');
    expect(error.message).toBe("broken.dbc:11:21: Expected byte order 0 (Motorola) or 1 (Intel) after @, got '2'.");
    expect(error.details.diagnostics).toMatchObject([{ severity: 'error', code: 'DBC_SYNTAX', line: 11, column: 21 }]);
  });

  it('recovers after a broken signal: the rest of the message and file still parse', () => {
    const { database, diagnostics } = checkDbc(fixture('broken.dbc'));
    expect(codes(diagnostics)).toEqual(['DBC_SYNTAX']);
    expect(database.messages[0]?.signals.map((s) => s.name)).toEqual(['Fine', 'AlsoFine']);
  });

  it('reports every broken statement, not just the first', () => {
    const { diagnostics } = checkDbc(
      dbc('BO_ x M: 8 ECU\nBO_ 2 N 8 ECU\nVERSION "2"\nGARBAGE here\nCM_ "unterminated'),
    );
    expect(diagnostics.map((d) => [d.line, d.column, d.message])).toEqual([
      [9, 5, "Expected the message id after BO_, got 'x'."],
      [10, 9, "Expected ':' after the message name, got '8'."],
      [12, 1, "Expected a section keyword (BO_, SG_, CM_, ...), got 'GARBAGE'."],
      [13, 5, 'Unterminated string.'],
    ]);
  });

  it('rejects an SG_ outside a message and a stray character', () => {
    expect(parseError(dbc('SG_ A : 0|8@1+ (1,0) [0|0] "" ECU')).message).toBe(
      'test.dbc:9:1: SG_ outside a BO_ message definition.',
    );
    expect(parseError(dbc('BO_ 1 M: 8 ECU #')).message).toBe('test.dbc:9:16: Unexpected character "#".');
  });

  it('says how many more errors there are', () => {
    expect(parseError(dbc('BO_ x\nBO_ y')).message).toMatch(/\(and 1 more error\)$/);
  });
});

describe('parseDbc: multiplexing', () => {
  it('resolves simple, nested (SG_MUL_VAL_ ranges) and independent multiplexing', () => {
    const { database, diagnostics } = parseDbc(fixture('multiplexing.dbc'));
    expect(diagnostics).toEqual([]);
    const mux = (message: number): Record<string, unknown> =>
      Object.fromEntries(database.messages[message]!.signals.map((s) => [s.name, s.multiplexing]));
    expect(mux(0)).toEqual({
      Mode: { isMultiplexer: true },
      Always: { isMultiplexer: false },
      Page: { isMultiplexer: true, parent: { multiplexer: 'Mode', ranges: [[1, 1]] } },
      PageA: { isMultiplexer: false, parent: { multiplexer: 'Page', ranges: [[10, 10]] } },
      PageB: { isMultiplexer: false, parent: { multiplexer: 'Page', ranges: [[20, 29]] } },
      Ranged: {
        isMultiplexer: false,
        parent: {
          multiplexer: 'Mode',
          ranges: [
            [3, 5],
            [8, 8],
          ],
        },
      },
    });
    expect(mux(1)).toEqual({
      Sel: { isMultiplexer: true },
      A: { isMultiplexer: false, parent: { multiplexer: 'Sel', ranges: [[0, 0]] } },
      B: { isMultiplexer: false, parent: { multiplexer: 'Sel', ranges: [[1, 1]] } },
    });
    expect(mux(2)).toMatchObject({
      OnA1: { parent: { multiplexer: 'SwA', ranges: [[1, 1]] } },
      OnB2: { parent: { multiplexer: 'SwB', ranges: [[2, 2]] } },
    });
  });

  it('adds SG_MUL_VAL_ ranges to a simple mN value', () => {
    const { database } = parseDbc(
      dbc(
        'BO_ 1 M: 2 ECU\n SG_ Sel M : 0|8@1+ (1,0) [0|0] "" ECU\n SG_ A m2 : 8|8@1+ (1,0) [0|0] "" ECU\n\n' +
          'SG_MUL_VAL_ 1 A Sel 5-7, 3-3;',
      ),
    );
    expect(database.messages[0]?.signals[1]?.multiplexing.parent?.ranges).toEqual([
      [2, 3],
      [5, 7],
    ]);
  });

  it('warns when mN has no switch to hang off (the signal is then always present)', () => {
    const { database, diagnostics } = parseDbc(dbc('BO_ 1 M: 2 ECU\n SG_ A m2 : 8|8@1+ (1,0) [0|0] "" ECU'));
    expect(diagnostics).toMatchObject([{ code: 'DBC_MULTIPLEXING', line: 10 }]);
    expect(database.messages[0]?.signals[0]?.multiplexing).toEqual({ isMultiplexer: false });
  });
});
