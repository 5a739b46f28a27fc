import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { batchDecoderSource, compileDatabase, DecodeErrorReason, type CompiledDatabase } from './compile.js';
import {
  BATCH_ERROR_REASON_NAMES,
  decodeBatch,
  FRAME_FLAG_EXTENDED,
  SignalSink,
  UNKNOWN_BUS,
  type FrameColumns,
} from './decode-batch.js';
import { hexToBytes } from './frame-json.js';
import { parseDbc } from './parse.js';

const database = parseDbc(readFileSync(new URL('./fixtures/multiplexing.dbc', import.meta.url))).database;

interface TestFrame {
  id: number;
  hex: string;
  extended?: boolean;
  bus?: number;
}

function columns(frames: TestFrame[]): FrameColumns {
  const bytes = frames.map((f) => hexToBytes(f.hex));
  const data = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const b of bytes) {
    data.set(b, offset);
    offset += b.length;
  }
  return {
    count: frames.length,
    bus: Uint8Array.from(frames, (f) => f.bus ?? 0),
    canId: Uint32Array.from(frames, (f) => f.id),
    flags: Uint8Array.from(frames, (f) => (f.extended ? FRAME_FLAG_EXTENDED : 0)),
    length: Uint8Array.from(bytes, (b) => b.length),
    data,
  };
}

/** The sink's contents as [frame, signal name, value] rows and [frame, reason] errors. */
function rows(
  compiled: CompiledDatabase,
  sink: SignalSink,
): { signals: [number, string, number][]; errors: [number, number][] } {
  const signals: [number, string, number][] = [];
  for (let i = 0; i < sink.count; i++) {
    signals.push([sink.frameIndex[i]!, compiled.signalById(sink.signalId[i]!)!.signal.name, sink.value[i]!]);
  }
  const errors: [number, number][] = [];
  for (let i = 0; i < sink.errorCount; i++) errors.push([sink.errorFrame[i]!, sink.errorReason[i]!]);
  return { signals, errors };
}

describe('decodeBatch', () => {
  for (const codegen of [true, false]) {
    describe(codegen ? 'generated decoders' : 'interpreted decoders', () => {
      const compiled = compileDatabase(database, { codegen });

      it('writes (frame, signal, physical value) rows and one error per undecodable frame', () => {
        const sink = new SignalSink(2, 1); // tiny on purpose: both growth paths run
        const frames = columns([
          { id: 769, hex: '00ff' }, // Sel 0 → A
          { id: 999, hex: '00' }, // unknown id
          { id: 769, hex: '01ff', extended: true }, // same id, but extended: unknown
          { id: 769, hex: '01' }, // short
          { id: 768, hex: '0600000000000000' }, // Mode 6 selects nothing
          { id: 769, hex: '01fe' }, // Sel 1 → B (signed)
          { id: 770, hex: '01020304' },
        ]);
        const written = decodeBatch(frames, compiled, sink);
        expect(written).toBe(sink.count);
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [0, 'Sel', 0],
            [0, 'A', 255],
            [5, 'Sel', 1],
            [5, 'B', -2],
            [6, 'SwA', 1],
            [6, 'SwB', 2],
            [6, 'OnA1', 3],
            [6, 'OnB2', 4],
          ],
          errors: [
            [1, DecodeErrorReason.UNKNOWN_ID],
            [2, DecodeErrorReason.UNKNOWN_ID],
            [3, DecodeErrorReason.SHORT_FRAME],
            [4, DecodeErrorReason.BAD_MULTIPLEXER],
          ],
        });
      });

      it('discards the signals already written for a frame that fails in a nested branch', () => {
        const sink = new SignalSink();
        decodeBatch(
          columns([
            { id: 768, hex: '010b000000000077' },
            { id: 769, hex: '00aa' },
          ]),
          compiled,
          sink,
        );
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [1, 'Sel', 0],
            [1, 'A', 0xaa],
          ],
          errors: [[0, DecodeErrorReason.BAD_MULTIPLEXER]],
        });
      });

      it('rejects malformed frames as BAD_INPUT without losing the frames around them', () => {
        const sink = new SignalSink();
        const frames = columns([
          { id: 769, hex: '00ff' },
          { id: 769, hex: '00'.repeat(65) },
          { id: 769, hex: '0001' },
        ]);
        decodeBatch(frames, compiled, sink);
        expect(rows(compiled, sink).errors).toEqual([[1, DecodeErrorReason.BAD_INPUT]]);
        expect(rows(compiled, sink).signals).toEqual([
          [0, 'Sel', 0],
          [0, 'A', 255],
          [2, 'Sel', 0],
          [2, 'A', 1],
        ]);
        // Lengths that run past the data column (4 bytes here).
        const truncated = columns([
          { id: 769, hex: '00ff' },
          { id: 769, hex: '0001' },
        ]);
        decodeBatch({ ...truncated, length: Uint8Array.from([2, 3]) }, compiled, sink);
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [0, 'Sel', 0],
            [0, 'A', 255],
          ],
          errors: [[1, DecodeErrorReason.BAD_INPUT]],
        });
      });

      it('decodes only the requested bus when asked, skipping the others silently', () => {
        const sink = new SignalSink();
        const frames = columns([
          { id: 769, hex: '00ff', bus: 1 },
          { id: 999, hex: '00', bus: 2 },
          { id: 769, hex: '0001', bus: 2 },
        ]);
        decodeBatch(frames, compiled, sink, { bus: 1 });
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [0, 'Sel', 0],
            [0, 'A', 255],
          ],
          errors: [],
        });
      });

      it('dispatches each frame to its bus database when given one per bus, UNKNOWN_BUS for the others', () => {
        const sink = new SignalSink(2, 1);
        const frames = columns([
          { id: 769, hex: '00ff', bus: 1 },
          { id: 769, hex: '0001', bus: 2 }, // no database for bus 2
          { id: 999, hex: '00', bus: 1 },
          { id: 769, hex: '01fe', bus: 1 },
          { id: 769, hex: '00'.repeat(65), bus: 7 }, // unknown bus is reported before the bad length
        ]);
        const lookups: number[] = [];
        const byBus = {
          decoderFor: (bus: number) => {
            lookups.push(bus);
            return bus === 1 ? compiled : undefined;
          },
        };
        decodeBatch(frames, byBus, sink);
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [0, 'Sel', 0],
            [0, 'A', 255],
            [3, 'Sel', 1],
            [3, 'B', -2],
          ],
          errors: [
            [1, UNKNOWN_BUS],
            [2, DecodeErrorReason.UNKNOWN_ID],
            [4, UNKNOWN_BUS],
          ],
        });
        expect(lookups).toEqual([1, 2, 1, 7]); // looked up when the bus changes, not per frame
        expect(BATCH_ERROR_REASON_NAMES[UNKNOWN_BUS]).toBe('UNKNOWN_BUS');
      });

      it('resets the sink on every call', () => {
        const sink = new SignalSink();
        decodeBatch(
          columns([
            { id: 999, hex: '' },
            { id: 769, hex: '00ff' },
          ]),
          compiled,
          sink,
        );
        decodeBatch(columns([{ id: 769, hex: '0001' }]), compiled, sink);
        expect(rows(compiled, sink)).toEqual({
          signals: [
            [0, 'Sel', 0],
            [0, 'A', 1],
          ],
          errors: [],
        });
      });
    });
  }

  it('writes the ids the caller injects instead of the database-wide index', () => {
    const ids = new Map([
      ['Sel', 7000],
      ['A', 7001],
      ['B', 7002],
    ]);
    let next = 100;
    const compiled = compileDatabase(database, { signalId: (_message, signal) => ids.get(signal.name) ?? next++ });
    const sink = new SignalSink();
    decodeBatch(columns([{ id: 769, hex: '00ff' }]), compiled, sink);
    expect(Array.from(sink.signalId.subarray(0, sink.count))).toEqual([7000, 7001]);
    expect(compiled.signalById(7001)?.signal.name).toBe('A');
  });

  it('rejects injected ids that collide or do not fit the uint32 output column', () => {
    expect(() => compileDatabase(database, { signalId: () => 1 })).toThrow(
      /Signal ids collide: Nested.Always and Nested.Mode both have id 1/,
    );
    expect(() => compileDatabase(database, { signalId: () => -1 })).toThrow(/must be an integer in 0..4294967295/);
  });

  it('numbers signals by default in database order: messages in file order, signals in message order', () => {
    const compiled = compileDatabase(database);
    expect(compiled.signals.map((s) => `${s.index}:${s.message.name}.${s.signal.name}`).slice(0, 8)).toEqual([
      '0:Nested.Mode',
      '1:Nested.Always',
      '2:Nested.Page',
      '3:Nested.PageA',
      '4:Nested.PageB',
      '5:Nested.Ranged',
      '6:Simple.Sel',
      '7:Simple.A',
    ]);
    expect(compiled.signals.every((s) => s.id === s.index)).toBe(true);
  });

  it('generates code from numbers only: no name or other text from the file reaches the source', () => {
    const compiled = compileDatabase(database);
    const source = compiled.messages.map((m) => batchDecoderSource(m.root, m.index)).join('\n');
    for (const message of database.messages) {
      expect(source).not.toContain(message.name);
      for (const signal of message.signals) expect(source).not.toContain(signal.name);
    }
    expect(source).toMatch(/switch \(m0\)/);
  });
});
