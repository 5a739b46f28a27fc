import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { busIndexOf, LogWindower, parseBusMap, parseCandumpLine, type CandumpFrame } from './candump.js';
import { FRAME_FLAG_BRS, FRAME_FLAG_ERROR, FRAME_FLAG_EXTENDED, FRAME_FLAG_FD } from './model.js';

const frame = (text: string): CandumpFrame => {
  const parsed = parseCandumpLine(text, 1);
  if (parsed.kind !== 'frame') throw new Error(`not a frame: ${JSON.stringify(parsed)}`);
  return parsed.frame;
};
const bad = (text: string): string => {
  const parsed = parseCandumpLine(text, 7);
  if (parsed.kind !== 'bad') throw new Error(`not bad: ${text}`);
  expect(parsed.line).toBe(7);
  return parsed.error;
};
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('candump -l lines', () => {
  it('parses a classic frame with its timestamp, interface, id and data', () => {
    const f = frame('(1436509052.249713) can0 123#DEADBEEF');
    expect(f).toMatchObject({ timeUs: 1436509052249713, iface: 'can0', canId: 0x123, flags: 0, remote: false });
    expect(hex(f.data)).toBe('deadbeef');
  });

  it('reads more than 3 hex digits as a 29-bit extended id', () => {
    expect(frame('(1.000000) can1 1F334455#01').flags).toBe(FRAME_FLAG_EXTENDED);
    expect(frame('(1.000000) can1 1F334455#01').canId).toBe(0x1f334455);
    expect(frame('(1.000000) can1 00000123#').canId).toBe(0x123);
    expect(frame('(1.000000) can1 00000123#').flags).toBe(FRAME_FLAG_EXTENDED);
  });

  it('parses CAN FD frames with their flags digit (BRS)', () => {
    const f = frame('(1.5) can0 123##1112233445566778899AABBCC');
    expect(f.flags).toBe(FRAME_FLAG_FD | FRAME_FLAG_BRS);
    expect(f.data.length).toBe(12);
    expect(frame('(1.5) can0 123##0').flags).toBe(FRAME_FLAG_FD);
    expect(frame('(1.5) can0 123##0').data.length).toBe(0);
  });

  it('parses remote frames, dotted data, len8_dlc suffixes, direction tokens and error frames', () => {
    expect(frame('(1.0) can0 7DF#R').remote).toBe(true);
    expect(frame('(1.0) can0 7DF#R8').data.length).toBe(0);
    expect(hex(frame('(1.0) can0 123#11.22.33').data)).toBe('112233');
    expect(hex(frame('(1.0) can0 123#1122334455667788_9').data)).toBe('1122334455667788');
    expect(frame('(1.0) can0 123#11 R').canId).toBe(0x123);
    const error = frame('(1.0) can0 20000080#0000000000000000');
    expect(error.flags).toBe(FRAME_FLAG_ERROR);
    expect(error.canId).toBe(0x80);
  });

  it('skips blank lines and comments', () => {
    expect(parseCandumpLine('', 1).kind).toBe('skip');
    expect(parseCandumpLine('   # a comment', 2).kind).toBe('skip');
  });

  it('reports bad lines with their number and reason, never throws', () => {
    expect(bad('garbage')).toMatch(/not a candump -l line/);
    expect(bad('(1.0) can0 800#11')).toMatch(/exceeds 11 bits/);
    expect(bad('(1.0) can0 123#112')).toMatch(/whole hex bytes/);
    expect(bad('(1.0) can0 123#112233445566778899')).toMatch(/at most 8/);
    expect(bad('(1.0) can0 123##1' + '11'.repeat(9))).toMatch(/CAN FD frame of 9 bytes/);
    expect(bad('(1.0) can0 123##X11')).toMatch(/flags digit/);
    expect(bad('(1.0) can0 3FFFFFFFF#11')).toMatch(/more than 8 hex digits/);
    expect(bad('(1.0) can0 40000000#11')).toMatch(/exceeds 29 bits/);
    expect(bad('(1.0) can0 123#11_Z')).toMatch(/DLC digit/);
  });

  it('maps interfaces to buses by name or by their trailing number', () => {
    const map = parseBusMap('can0=3,vcan1=0');
    expect(busIndexOf('can0', map)).toBe(3);
    expect(busIndexOf('vcan1', map)).toBe(0);
    expect(busIndexOf('can2', map)).toBeUndefined();
    expect(busIndexOf('can2', new Map())).toBe(2);
    expect(busIndexOf('eth', new Map())).toBe(0);
    expect(() => parseBusMap('can0:1')).toThrow(/<interface>=<bus index/);
  });
});

describe('log windows', () => {
  const at = (seconds: number): CandumpFrame => ({
    timeUs: seconds * 1e6,
    iface: 'can0',
    canId: 1,
    flags: 0,
    remote: false,
    data: new Uint8Array([1]),
  });

  it('groups frames into 1 s windows from the first frame and closes them as time passes', () => {
    const w = new LogWindower();
    expect(w.add(at(100.2), 0)).toEqual([]);
    expect(w.add(at(100.9), 0)).toEqual([]);
    const closed = w.add(at(101.3), 1);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.startUs).toBe(100.2e6);
    expect(closed[0]!.frames.count).toBe(2);
    expect(Array.from(closed[0]!.frames.timeUs)).toEqual([0, 0.7e6]);
    // A gap of several seconds skips the empty windows.
    const afterGap = w.add(at(105.5), 0);
    expect(afterGap).toHaveLength(1);
    expect(afterGap[0]!.frames.count).toBe(1);
    const last = w.flush()!;
    expect(last.startUs).toBe(105.2e6);
    expect(last.frames.bus[0]).toBe(0);
    expect(w.flush()).toBeUndefined();
  });

  it('keeps a frame that goes back in time in the current window and counts it', () => {
    const w = new LogWindower();
    w.add(at(10), 0);
    w.add(at(10.5), 0);
    w.add(at(10.2), 0);
    expect(w.outOfOrder).toBe(1);
    expect(w.flush()!.frames.count).toBe(3);
  });
});

describe('the fixture log (test/simulator/fixtures/cargo-van.candump.log)', () => {
  it('has 780 frames and 4 bad lines at known places', () => {
    const text = readFileSync(
      new URL('../../../../test/simulator/fixtures/cargo-van.candump.log', import.meta.url),
      'utf8',
    );
    const results = text.split('\n').map((line, i) => parseCandumpLine(line, i + 1));
    expect(results.filter((r) => r.kind === 'frame')).toHaveLength(780);
    expect(results.flatMap((r) => (r.kind === 'bad' ? [r.line] : []))).toEqual([103, 253, 403, 553]);
  });
});
