/**
 * Text decoding for DBC files. Vector's tools write Windows-1252; newer tools and hand-edited files are UTF-8.
 * A file that is valid UTF-8 is almost never meant as cp1252 (cp1252 text with accented letters is invalid UTF-8
 * with overwhelming probability), so UTF-8 is tried first and cp1252 is the fallback.
 */

export type DbcTextEncoding = 'utf-8' | 'cp1252';

/**
 * cp1252 bytes 0x80..0x9F. The five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the C1
 * control with the same number, as the WHATWG "windows-1252" decoder does, so decoding never fails.
 */
const CP1252_HIGH_CONTROLS: readonly number[] = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d,
  0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0x009d, 0x017e, 0x0178,
];

export function decodeCp1252(bytes: Uint8Array): string {
  let out = '';
  // Chunked String.fromCharCode keeps this linear without building a huge argument list.
  const chunk: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    chunk.push(b >= 0x80 && b <= 0x9f ? CP1252_HIGH_CONTROLS[b - 0x80]! : b);
    if (chunk.length === 8192) {
      out += String.fromCharCode(...chunk);
      chunk.length = 0;
    }
  }
  if (chunk.length > 0) out += String.fromCharCode(...chunk);
  return out;
}

/** Decodes a DBC file's bytes: UTF-8 when valid (a BOM is dropped), otherwise cp1252. */
export function decodeDbcText(bytes: Uint8Array): { text: string; encoding: DbcTextEncoding } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: decodeCp1252(bytes), encoding: 'cp1252' };
  }
}
