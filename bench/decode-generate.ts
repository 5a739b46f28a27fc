/**
 * A synthetic vehicle bus for decode benchmarks: a DBC shaped like a modern OEM powertrain/chassis bus and a
 * JSON-lines file of frames for it. Deterministic (seeded), so figures are comparable between runs.
 *
 *   npx tsx bench/decode-generate.ts <out-dir>     writes <out-dir>/synthetic.dbc and synthetic.frames.jsonl
 *
 * Shape: 8-byte classic CAN messages packed with 1..16-bit signals (a third Motorola, a quarter signed, a few
 * fractional scales), 64-byte CAN FD messages with ~60 signals, some multiplexed messages (one switch, 4 pages),
 * a few float32 and 64-bit signals; 29-bit ids for a fifth of the messages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface SyntheticBus {
  readonly dbc: string;
  readonly frames: string;
  readonly messageCount: number;
  readonly signalCount: number;
  readonly frameCount: number;
}

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

interface Layout {
  readonly start: number;
  readonly length: number;
  readonly motorola: boolean;
}

/**
 * Packs signals of random lengths into `bytes` bytes without overlap. Intel signals are placed by physical bit
 * number, Motorola ones by big-endian linear position; the two agree on which byte a position is in but not on the
 * bit within it, so the position moves to a byte boundary whenever the byte order changes.
 */
function pack(random: () => number, bytes: number, maxLength: number): Layout[] {
  const layouts: Layout[] = [];
  const total = bytes * 8;
  let position = 0;
  let previousMotorola: boolean | undefined;
  while (position < total) {
    const motorola = random() < 0.33;
    if (previousMotorola !== undefined && motorola !== previousMotorola) position = Math.ceil(position / 8) * 8;
    if (position >= total) break;
    const length = Math.min(total - position, 1 + Math.floor(random() * random() * maxLength));
    // Motorola start bit = the MSB's sawtooth number for big-endian linear position `position`.
    const start = motorola ? (position >> 3) * 8 + 7 - (position & 7) : position;
    layouts.push({ start, length, motorola });
    previousMotorola = motorola;
    position += length;
    if (random() < 0.1) position += 1 + Math.floor(random() * 4); // reserved bits
  }
  return layouts;
}

export function generateSyntheticBus(
  options: { messages?: number; frames?: number; seed?: number } = {},
): SyntheticBus {
  const random = prng(options.seed ?? 42);
  const messageCount = options.messages ?? 150;
  const frameCount = options.frames ?? 100_000;
  const lines: string[] = ['VERSION "synthetic"', '', 'NS_ :', '\tSIG_VALTYPE_', '', 'BS_:', '', 'BU_: PCM BCM GW', ''];
  const valueTypes: string[] = [];
  const messages: { id: number; extended: boolean; length: number }[] = [];
  let signalCount = 0;
  const usedIds = new Set<number>();
  for (let m = 0; m < messageCount; m++) {
    const extended = random() < 0.2;
    let id: number;
    do id = extended ? 0x18000000 + Math.floor(random() * 0xffffff) : 0x100 + Math.floor(random() * 0x600);
    while (usedIds.has(id));
    usedIds.add(id);
    const fd = random() < 0.1;
    const length = fd ? 64 : 8;
    const multiplexed = !fd && random() < 0.1;
    lines.push(`BO_ ${extended ? id + 0x80000000 : id} MSG_${m}: ${length} PCM`);
    messages.push({ id, extended, length });
    if (multiplexed) {
      lines.push(` SG_ MSG_${m}_Page M : 0|2@1+ (1,0) [0|3] "" GW`);
      signalCount++;
      for (let page = 0; page < 4; page++) {
        let start = 8;
        for (let k = 0; start < 64; k++) {
          const len = Math.min(64 - start, 4 + Math.floor(random() * 12));
          lines.push(` SG_ MSG_${m}_P${page}_S${k} m${page} : ${start}|${len}@1+ (0.5,0) [0|0] "" GW`);
          signalCount++;
          start += len;
        }
      }
    } else {
      // Half the FD messages end with a float32 (bytes 48..51) and a 64-bit counter (bytes 56..63).
      const withTail = fd && random() < 0.5;
      const layouts = pack(random, withTail ? 48 : length, fd ? 12 : 16);
      layouts.forEach((layout, k) => {
        const signed = random() < 0.25;
        const scale = random() < 0.5 ? 1 : [0.1, 0.25, 0.01, 0.03125][Math.floor(random() * 4)]!;
        const offset = random() < 0.2 ? -40 : 0;
        lines.push(
          ` SG_ MSG_${m}_S${k} : ${layout.start}|${layout.length}@${layout.motorola ? 0 : 1}${signed ? '-' : '+'}` +
            ` (${scale},${offset}) [0|0] "" GW`,
        );
        signalCount++;
      });
      if (withTail) {
        lines.push(` SG_ MSG_${m}_F32 : 384|32@1- (1,0) [0|0] "" GW`);
        lines.push(` SG_ MSG_${m}_U64 : 448|64@1+ (1,0) [0|0] "" GW`);
        valueTypes.push(`SIG_VALTYPE_ ${extended ? id + 0x80000000 : id} MSG_${m}_F32 : 1;`);
        signalCount += 2;
      }
    }
    lines.push('');
  }
  lines.push(...valueTypes, '');

  const frames: string[] = [];
  for (let i = 0; i < frameCount; i++) {
    const message = messages[Math.floor(random() * messages.length)]!;
    let hex = '';
    for (let b = 0; b < message.length; b++)
      hex += Math.floor(random() * 256)
        .toString(16)
        .padStart(2, '0');
    frames.push(`{"id": ${message.id}, "extended": ${message.extended}, "data": "${hex}"}`);
  }
  return { dbc: lines.join('\n'), frames: `${frames.join('\n')}\n`, messageCount, signalCount, frameCount };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2] ?? '.';
  mkdirSync(outDir, { recursive: true });
  const bus = generateSyntheticBus();
  writeFileSync(path.join(outDir, 'synthetic.dbc'), bus.dbc);
  writeFileSync(path.join(outDir, 'synthetic.frames.jsonl'), bus.frames);
  console.log(`${bus.messageCount} messages, ${bus.signalCount} signals, ${bus.frameCount} frames in ${outDir}`);
}
