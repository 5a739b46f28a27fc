/**
 * can-utils `candump -l` log files (the format `canplayer` reads):
 *
 *   (1436509052.249713) can0 123#DEADBEEF          classic frame, 11-bit id (≤ 3 hex digits)
 *   (1436509052.249713) can0 1F334455#DEADBEEF     more than 3 hex digits: 29-bit extended id
 *   (1436509052.249713) can1 123##1AABBCCDD...     CAN FD: `##`, one hex digit of flags (1 = BRS, 2 = ESI), data
 *   (1436509052.249713) can0 123#R  / 123#R4       remote frame (optionally with its DLC)
 *   (1436509052.249713) can0 20000080#0000000000000000   error frame (CAN_ERR_FLAG in the id)
 *
 * Data bytes may be separated by dots (`11.22.33`); a classic frame may end in `_<dlc>` (len8_dlc). A trailing
 * direction token (`R`/`T`, candump -x) is accepted. Empty lines and `#` comments are skipped. Anything else is a
 * bad line: counted and reported with its number, never thrown.
 *
 * `LogWindower` groups frames into fixed windows of log time (1 s by default), one T-Box batch each.
 */
import { FRAME_FLAG_BRS, FRAME_FLAG_ERROR, FRAME_FLAG_EXTENDED, FRAME_FLAG_FD } from './model.js';
import { FrameBuffer, type FrameColumns } from './frames.js';

export interface CandumpFrame {
  /** Log timestamp, µs since the Unix epoch (as written in the log). */
  readonly timeUs: number;
  readonly iface: string;
  readonly canId: number;
  /** FrameFlag bits: EXTENDED, FD, BRS, ERROR. */
  readonly flags: number;
  readonly remote: boolean;
  readonly data: Uint8Array;
}

export type CandumpLine =
  | { readonly kind: 'frame'; readonly frame: CandumpFrame }
  | { readonly kind: 'skip' }
  | { readonly kind: 'bad'; readonly line: number; readonly error: string };

const LINE = /^\((\d+)(?:\.(\d{1,9}))?\)\s+(\S+)\s+([0-9A-Fa-f]+)(##?)(\S*)(?:\s+[RT])?\s*$/;
const CAN_ERR_FLAG = 0x20000000;
const FD_LENGTHS = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]);

function hexBytes(text: string): Uint8Array | undefined {
  const clean = text.replace(/\./g, '');
  if (clean.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(clean)) return undefined;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function parseCandumpLine(text: string, lineNo: number): CandumpLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'skip' };
  const m = LINE.exec(trimmed);
  const bad = (error: string): CandumpLine => ({ kind: 'bad', line: lineNo, error });
  if (!m) return bad('not a candump -l line: expected "(<seconds>.<micros>) <interface> <id>#<data>"');
  const [, secs = '0', frac = '', iface = '', idText = '', separator = '#', rest = ''] = m;
  const timeUs = Number(secs) * 1e6 + Math.round(Number(`0.${frac || '0'}`) * 1e6);
  let canId = parseInt(idText, 16);
  const extended = idText.length > 3;
  let flags = extended ? FRAME_FLAG_EXTENDED : 0;
  if (extended && idText.length > 8) return bad(`id ${idText} has more than 8 hex digits`);
  if (extended && canId & CAN_ERR_FLAG) {
    flags = FRAME_FLAG_ERROR;
    canId &= 0x1fffffff;
  } else if (extended && canId > 0x1fffffff) {
    return bad(`extended id ${idText} exceeds 29 bits`);
  } else if (!extended && canId > 0x7ff) {
    return bad(`standard id ${idText} exceeds 11 bits (write 8 hex digits for an extended id)`);
  }
  if (separator === '##') {
    const flagDigit = rest.slice(0, 1);
    if (!/^[0-9A-Fa-f]$/.test(flagDigit)) return bad('CAN FD frame needs a flags digit after "##"');
    const data = hexBytes(rest.slice(1));
    if (!data) return bad(`CAN FD data "${rest.slice(1)}" is not whole hex bytes`);
    if (!FD_LENGTHS.has(data.length))
      return bad(`CAN FD frame of ${data.length} bytes (valid: 0-8, 12, 16, 20, 24, 32, 48, 64)`);
    flags |= FRAME_FLAG_FD | (parseInt(flagDigit, 16) & 1 ? FRAME_FLAG_BRS : 0);
    return { kind: 'frame', frame: { timeUs, iface, canId, flags, remote: false, data } };
  }
  if (/^R\d?$/i.test(rest)) {
    // A remote frame carries no data; its DLC is requested, not sent.
    return { kind: 'frame', frame: { timeUs, iface, canId, flags, remote: true, data: new Uint8Array(0) } };
  }
  const [dataText = '', dlcText] = rest.split('_');
  const data = hexBytes(dataText);
  if (!data) return bad(`data "${dataText}" is not whole hex bytes`);
  if (data.length > 8) return bad(`classic CAN frame of ${data.length} bytes (at most 8; CAN FD uses "##")`);
  if (dlcText !== undefined && !/^[0-9A-Fa-f]$/.test(dlcText)) return bad(`"_${dlcText}" is not a DLC digit`);
  return { kind: 'frame', frame: { timeUs, iface, canId, flags, remote: false, data } };
}

/** Interface → bus index: an explicit `can0=0,can1=1` map, else the interface's trailing number (can1 → 1). */
export function parseBusMap(text: string | undefined): Map<string, number> {
  const map = new Map<string, number>();
  if (text === undefined || text === '') return map;
  for (const part of text.split(',')) {
    const m = /^([^=\s]+)=(\d+)$/.exec(part.trim());
    if (!m || Number(m[2]) > 255) throw new RangeError(`--bus "${part}" must be <interface>=<bus index 0..255>`);
    map.set(m[1]!, Number(m[2]));
  }
  return map;
}

export function busIndexOf(iface: string, explicit: ReadonlyMap<string, number>): number | undefined {
  if (explicit.size > 0) return explicit.get(iface);
  const m = /(\d+)$/.exec(iface);
  return m ? Math.min(255, Number(m[1])) : 0;
}

export interface LogWindow {
  /** Window start on the log clock, µs since the epoch. */
  readonly startUs: number;
  readonly endUs: number;
  /** Frames with `timeUs` relative to `startUs`. */
  readonly frames: FrameColumns;
}

/**
 * Groups frames into consecutive windows [t0 + k·w, t0 + (k+1)·w) of log time, t0 = the first frame. Frames must
 * arrive in log order; one that goes back in time (a merged log) joins the current window rather than an old one.
 */
export class LogWindower {
  private startUs: number | undefined;
  private readonly buffer = new FrameBuffer(4096);
  /** Frames that ran backwards in time (kept in the current window). */
  outOfOrder = 0;
  private lastUs = -Infinity;

  constructor(private readonly windowUs = 1_000_000) {}

  /** Adds a frame; returns the windows it closed (usually none, one at a window boundary, more after a gap). */
  add(frame: CandumpFrame, bus: number): LogWindow[] {
    const closed: LogWindow[] = [];
    if (this.startUs === undefined) this.startUs = frame.timeUs;
    if (frame.timeUs < this.lastUs) this.outOfOrder += 1;
    this.lastUs = Math.max(this.lastUs, frame.timeUs);
    while (frame.timeUs >= this.startUs + this.windowUs) {
      if (this.buffer.count > 0) closed.push(this.close());
      const windowsAhead = Math.floor((frame.timeUs - this.startUs) / this.windowUs);
      this.startUs += windowsAhead * this.windowUs;
    }
    const t = Math.max(0, frame.timeUs - this.startUs);
    const at = this.buffer.append(t, bus, frame.canId, frame.flags, frame.data.length);
    this.buffer.data.set(frame.data, at);
    return closed;
  }

  /** The last, partial window, if it holds frames. */
  flush(): LogWindow | undefined {
    return this.buffer.count > 0 ? this.close() : undefined;
  }

  private close(): LogWindow {
    const startUs = this.startUs!;
    return { startUs, endUs: startUs + this.windowUs, frames: this.buffer.take() };
  }
}
