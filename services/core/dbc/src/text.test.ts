import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCp1252, decodeDbcText } from './text.js';

describe('decodeDbcText', () => {
  it('reads valid UTF-8 as UTF-8 and drops a BOM', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('CM_ "°C €";')]);
    expect(decodeDbcText(bytes)).toEqual({ text: 'CM_ "°C €";', encoding: 'utf-8' });
  });

  it('falls back to cp1252 when the bytes are not valid UTF-8', () => {
    // 0xB0 alone is not UTF-8; in cp1252 it is the degree sign, 0x80 the euro sign, 0xFC ü.
    expect(decodeDbcText(new Uint8Array([0xb0, 0x43, 0x20, 0x80, 0x20, 0xfc]))).toEqual({
      text: '°C € ü',
      encoding: 'cp1252',
    });
  });

  it('maps the five bytes cp1252 leaves undefined to C1 controls instead of failing', () => {
    expect(decodeCp1252(new Uint8Array([0x81, 0x8d, 0x8f, 0x90, 0x9d]))).toBe('\u0081\u008d\u008f\u0090\u009d');
  });

  it('decodes every cp1252 punctuation byte of 0x80..0x9F', () => {
    const all = decodeCp1252(new Uint8Array(Array.from({ length: 32 }, (_, i) => 0x80 + i)));
    expect(all).toBe('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ');
  });

  it('reads the cp1252 fixture', () => {
    const { text, encoding } = decodeDbcText(readFileSync(new URL('./fixtures/cp1252.dbc', import.meta.url)));
    expect(encoding).toBe('cp1252');
    expect(text).toContain('"°C"');
    expect(text).toContain('"€"');
    expect(text).toContain('Kühlmittel-Temperatur');
  });
});
