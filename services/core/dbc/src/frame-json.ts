/**
 * The JSON-lines frame format used by the conformance cases and `telltale dbc decode`:
 * `{"id": 1558, "extended": false, "data": "0a1b..."}` (data as hex, even length, at most 64 bytes).
 */
import type { FrameInput } from './decode-frame.js';

export type ParsedFrameLine =
  | { readonly ok: true; readonly frame: FrameInput }
  | { readonly ok: false; readonly id: unknown; readonly extended: unknown; readonly error: string };

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

export function parseFrameLine(line: string): ParsedFrameLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, id: undefined, extended: undefined, error: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, id: undefined, extended: undefined, error: 'a frame must be a JSON object' };
  }
  const { id, extended, data } = value as Record<string, unknown>;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x1fffffff) {
    return { ok: false, id, extended, error: '"id" must be an integer between 0 and 0x1FFFFFFF' };
  }
  if (typeof extended !== 'boolean') return { ok: false, id, extended, error: '"extended" must be true or false' };
  if (typeof data !== 'string' || !HEX.test(data)) {
    return { ok: false, id, extended, error: '"data" must be a hex string of whole bytes' };
  }
  if (data.length > 128)
    return { ok: false, id, extended, error: `${data.length / 2} data bytes; a CAN frame carries at most 64` };
  return { ok: true, frame: { id, extended, data: hexToBytes(data) } };
}
