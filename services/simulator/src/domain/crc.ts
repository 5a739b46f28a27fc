/**
 * CRC-8 SAE J1850 (polynomial 0x1D, initial value 0xFF, final XOR 0xFF), the checksum of AUTOSAR E2E profile 1/2
 * style protection that the catalog's `*_Crc` signals declare ("over data id and payload"). The data id is the
 * frame id's low and high byte; the payload is every byte except the CRC's own.
 */
const TABLE = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let b = 0; b < 8; b++) crc = crc & 0x80 ? ((crc << 1) ^ 0x1d) & 0xff : (crc << 1) & 0xff;
    table[i] = crc;
  }
  return table;
})();

export function crc8J1850(frameId: number, data: Uint8Array, offset: number, length: number, skipByte: number): number {
  let crc = 0xff;
  crc = TABLE[crc ^ (frameId & 0xff)]!;
  crc = TABLE[crc ^ ((frameId >>> 8) & 0xff)]!;
  for (let i = 0; i < length; i++) {
    if (i === skipByte) continue;
    crc = TABLE[crc ^ data[offset + i]!]!;
  }
  return crc ^ 0xff;
}
